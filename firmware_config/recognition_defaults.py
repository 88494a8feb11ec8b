"""Recognition defaults (match threshold and margin): the config model's defaults, measured.

Defaults measured on tests/fixtures/faces (HOG upsample 1, 5-point alignment, 1 jitter) over
the 22 identity photos of 9 people:

* 20 same-person pairs: 0.127-0.459, median 0.328; the largest are obama/2-obama/3 0.459,
  lisa/2-lisa/4 0.409, lisa/3-lisa/4 0.408, biden/1-biden/2 0.398.
* 211 different-person pairs: 0.626-1.043, median 0.835; the smallest are lisa/1-obama/1
  0.626, london_001/1-london_003/2 0.638, lisa/3-obama/1 0.652.
* People not enrolled, against all 22 photos: astronaut 0.591 (london_003; its HOG false
  positive on the mission patch 0.709), london_008 0.689 (obama), london_009 0.693
  (london_001).
* Nearest-vs-second-nearest worker for genuine probes: >= 0.291 when only photo 1 of each
  person is enrolled (obama/2: 0.379 vs 0.670), >= 0.279 leave-one-out over all 22 photos.
  The astronaut's lead is only 0.077 (london_003 0.591, london_002 0.669 with photo 1
  enrolled).

DEFAULT_THRESHOLD = 0.5 accepts all 20 same-person pairs (0.041 to spare) and rejects the
astronaut by 0.091 and the closest different-person pair by 0.126. The midpoint of the gap
(0.459..0.591) would be ~0.525; we sit lower on purpose, because a false accept credits the
wrong worker while a false reject only costs a second look at the camera.

DEFAULT_MARGIN = 0.1 is far below every genuine lead measured (>= 0.279), so it never rejects
a fixture face, yet it refuses a face at 0.48 from one worker and 0.55 from another - and it
would have refused the astronaut on its own (lead 0.077), a second, independent line of
defence if a site loosens the threshold.
"""

DEFAULT_THRESHOLD = 0.5
DEFAULT_MARGIN = 0.1
DUPLICATE_DISTANCE = 0.4
"""A photo this close to another enrolled worker is refused as that worker's duplicate.

Stricter than the match threshold on purpose: a refused lookalike is left out of the gallery,
where the margin rule can no longer tell them apart from the worker they resemble, so each of
their check-ins would be a wrong-person accept. On the evaluation set (benchmarks/face_eval.py,
docs/recognition.md) refusing at 0.5 gave 2 wrong-person accepts (7 on its harder variant); at
0.4, none. Same-person pairs of the fixtures' studio photos are 0.13-0.46 (median 0.33); a
duplicate ID is also caught by the real-name registry at central."""
__all__ = ["DEFAULT_MARGIN", "DEFAULT_THRESHOLD", "DUPLICATE_DISTANCE"]
