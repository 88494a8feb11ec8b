"""Face recognition at the gate: detection, encoding, the local gallery and 1:N matching.

Importing this package is cheap on purpose: dlib and OpenCV are loaded only when a face is
actually detected or encoded, so the CLI starts fast and central never pulls them in.
"""
