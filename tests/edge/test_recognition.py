"""Face recognition on real photos (tests/fixtures/faces) and real sqlite galleries.

dlib work is the slow part (~0.15 s per photo), so the enrolled gallery is built once per module
and photos are decoded and encoded at most once.
"""

from __future__ import annotations

import math
from pathlib import Path

import numpy as np
import pytest

from edge.recognition import models
from edge.recognition.enrollment import (
    DuplicateIdentity,
    EnrollmentRejected,
    enroll,
)
from edge.recognition.faces import (
    DEFAULT_MIN_FACE_PX,
    FaceObservation,
    ImageUnreadable,
    analyse,
    load_rgb,
)
from edge.recognition.gallery import Gallery, GalleryError
from edge.recognition.identify import identify_image, judge_faces
from edge.recognition.matcher import (
    DEFAULT_MARGIN,
    DEFAULT_THRESHOLD,
    Match,
    Matcher,
)

FIXTURES = Path(__file__).parents[1] / "fixtures" / "faces"
PROBES = FIXTURES / "_probes"
PEOPLE = sorted(p.name for p in FIXTURES.iterdir() if p.is_dir() and not p.name.startswith("_"))
HELD_OUT = [
    (person, photo)
    for person in PEOPLE
    for photo in sorted((FIXTURES / person).glob("*.jpg"))
    if photo.name != "1.jpg"
]
UNKNOWN = sorted((PROBES / "unknown_face").glob("*.jpg"))
NO_FACE = sorted((PROBES / "no_face").glob("*.jpg"))

_observed: dict[Path, list[FaceObservation]] = {}


def observe(path: Path) -> list[FaceObservation]:
    """Detect and encode a fixture photo once per test session."""
    if path not in _observed:
        _observed[path] = analyse(load_rgb(path))
    return _observed[path]


@pytest.fixture(scope="module")
def gallery(tmp_path_factory: pytest.TempPathFactory) -> Gallery:
    """Photo 1 of every fixture person, enrolled through the real enrollment path."""
    g = Gallery(tmp_path_factory.mktemp("gallery") / "gallery.db")
    for person in PEOPLE:
        enroll(g, person, [FIXTURES / person / "1.jpg"])
    return g


def _unit(axis: int, length: float = 1.0) -> np.ndarray:
    vector = np.zeros(128)
    vector[axis] = length
    return vector


# --- identification on real photos ---------------------------------------------------------


def test_gallery_has_every_person_once(gallery: Gallery) -> None:
    assert gallery.worker_ids() == PEOPLE
    assert gallery.count() == len(PEOPLE) == 9
    assert gallery.template_count() == 9


@pytest.mark.parametrize(("person", "photo"), HELD_OUT, ids=[f"{p}/{f.name}" for p, f in HELD_OUT])
def test_held_out_photo_identifies_the_right_worker(
    gallery: Gallery, person: str, photo: Path
) -> None:
    faces = judge_faces(observe(photo), gallery.snapshot())
    assert [face["worker_id"] for face in faces] == [person]
    assert faces[0]["distance"] <= DEFAULT_THRESHOLD


def test_small_face_is_still_identified(gallery: Gallery) -> None:
    result = identify_image(PROBES / "small_face" / "obama_320x240.jpg", gallery)
    assert [face["worker_id"] for face in result["faces"]] == ["obama"]


@pytest.mark.parametrize("photo", UNKNOWN, ids=[p.name for p in UNKNOWN])
def test_people_not_enrolled_are_unknown(gallery: Gallery, photo: Path) -> None:
    faces = judge_faces(observe(photo), gallery.snapshot())
    assert faces, "the probe does contain a face"
    assert all(face["worker_id"] is None for face in faces)


def test_astronaut_is_a_near_miss_that_both_rules_reject(gallery: Gallery) -> None:
    """dlib's usual 0.6 alone would let her in as london_003: the reason for stricter rules."""
    photo = PROBES / "unknown_face" / "astronaut_eileen_collins.jpg"
    matcher = gallery.snapshot()
    nearest = min(face["distance"] for face in judge_faces(observe(photo), matcher))
    assert DEFAULT_THRESHOLD < nearest <= 0.6
    real_face = min(observe(photo), key=lambda face: matcher.match(face.encoding).distance)
    assert matcher.match(real_face.encoding, threshold=0.6, margin=0).worker_id == "london_003"
    # the margin alone also refuses her: london_002 is barely further away
    assert matcher.match(real_face.encoding, threshold=0.6).worker_id is None


@pytest.mark.parametrize("photo", NO_FACE, ids=[p.name for p in NO_FACE])
def test_no_face_gives_an_empty_list(gallery: Gallery, photo: Path) -> None:
    assert identify_image(photo, gallery) == {"image": str(photo), "faces": []}


def test_two_faces_are_judged_each_on_its_own(tmp_path: Path) -> None:
    """obama_biden.jpg is a composite of obama/3 and biden/1: enroll other photos of both."""
    photo = PROBES / "two_faces" / "obama_biden.jpg"
    g = Gallery(tmp_path / "g.db")
    g.add("obama", [observe(FIXTURES / "obama" / "1.jpg")[0].encoding])
    g.add("biden", [observe(FIXTURES / "biden" / "2.jpg")[0].encoding])
    faces = judge_faces(observe(photo), g.snapshot())
    assert sorted(face["worker_id"] for face in faces) == ["biden", "obama"]
    left_to_right = [face["box"][3] for face in faces]
    assert left_to_right == sorted(left_to_right)
    # an unknown face next to a known one neither hides nor borrows the known one
    g.remove_worker("biden")
    verdicts = sorted(
        face["worker_id"] or "-" for face in judge_faces(observe(photo), g.snapshot())
    )
    assert verdicts == ["-", "obama"]


def test_montage_of_two_enrolled_workers(gallery: Gallery) -> None:
    result = identify_image(PROBES / "two_faces" / "london_003_004_montage.jpg", gallery)
    assert [face["worker_id"] for face in result["faces"]] == ["london_003", "london_004"]


def test_a_face_cut_off_by_the_edge_is_reported_but_never_accepted(
    gallery: Gallery, tmp_path: Path
) -> None:
    """Half a face is a guess: a bystander at the picture's edge must not pass as a worker."""
    import cv2

    rgb = load_rgb(FIXTURES / "london_002" / "2.jpg")
    whole = tmp_path / "whole.png"
    cut = tmp_path / "cut.png"
    assert cv2.imwrite(str(whole), cv2.cvtColor(rgb, cv2.COLOR_RGB2BGR))
    assert cv2.imwrite(
        str(cut), cv2.cvtColor(np.ascontiguousarray(rgb[:, 200:]), cv2.COLOR_RGB2BGR)
    )
    assert [f["worker_id"] for f in identify_image(whole, gallery)["faces"]] == ["london_002"]
    (face,) = identify_image(cut, gallery)["faces"]
    assert face["box"][3] == 0  # the box runs to the left edge
    assert face["worker_id"] is None
    assert face["distance"] < DEFAULT_THRESHOLD - DEFAULT_MARGIN  # the match alone would pass


def test_identify_output_shape(gallery: Gallery) -> None:
    photo = FIXTURES / "obama" / "2.jpg"
    result = identify_image(str(photo), gallery)
    assert set(result) == {"image", "faces"}
    assert result["image"] == str(photo)
    (face,) = result["faces"]
    assert set(face) == {"worker_id", "distance", "box"}
    assert isinstance(face["distance"], float)
    assert face["distance"] == round(face["distance"], 4)
    assert len(face["box"]) == 4 and all(type(v) is int for v in face["box"])
    top, right, bottom, left = face["box"]
    assert bottom > top and right > left


def test_identify_against_an_empty_gallery(tmp_path: Path) -> None:
    faces = judge_faces(
        observe(FIXTURES / "obama" / "1.jpg"), Gallery(tmp_path / "e.db").snapshot()
    )
    assert [(face["worker_id"], face["distance"]) for face in faces] == [(None, None)]


def test_unreadable_image(tmp_path: Path, gallery: Gallery) -> None:
    bad = tmp_path / "bad.jpg"
    bad.write_text("not a jpeg")
    with pytest.raises(ImageUnreadable, match="not a readable image"):
        identify_image(bad, gallery)
    with pytest.raises(ImageUnreadable, match="cannot read file"):
        load_rgb(tmp_path / "missing.jpg")


# --- enrollment ----------------------------------------------------------------------------


@pytest.fixture(scope="module")
def london_001_rgb() -> np.ndarray:
    return load_rgb(FIXTURES / "london_001" / "1.jpg")


def _save(path: Path, rgb: np.ndarray) -> Path:
    import cv2

    assert cv2.imwrite(str(path), cv2.cvtColor(rgb, cv2.COLOR_RGB2BGR))
    return path


def test_tiny_face_is_rejected_with_its_size(tmp_path: Path, london_001_rgb: np.ndarray) -> None:
    import cv2

    small = cv2.resize(london_001_rgb, None, fx=0.27, fy=0.27, interpolation=cv2.INTER_AREA)
    photo = _save(tmp_path / "small.jpg", small)
    g = Gallery(tmp_path / "g.db")
    with pytest.raises(EnrollmentRejected) as caught:
        enroll(g, "W-1", [photo])
    assert caught.value.image == str(photo)
    assert caught.value.reason.startswith("face too small (")
    assert f" px < {DEFAULT_MIN_FACE_PX} px): move the camera closer" in caught.value.reason
    # the same photo passes when the site lowers the minimum
    enroll(g, "W-1", [photo], min_face_px=40)
    assert g.worker_ids() == ["W-1"]


def test_blurred_face_is_rejected(tmp_path: Path, london_001_rgb: np.ndarray) -> None:
    import cv2

    photo = _save(tmp_path / "blur.jpg", cv2.GaussianBlur(london_001_rgb, (0, 0), 8))
    g = Gallery(tmp_path / "g.db")
    with pytest.raises(EnrollmentRejected, match=r"too blurred \(sharpness \d+ < 15\): hold") as e:
        enroll(g, "W-1", [photo])
    assert e.value.code == "blurred"  # the stable code programs translate
    assert g.count() == 0 and g.version == 0


@pytest.mark.parametrize(
    ("photo", "code", "reason"),
    [
        (
            PROBES / "no_face" / "coffee.jpg",
            "no_face",
            "no face: take the photo again with the worker facing the camera, the whole face "
            "in the picture and evenly lit",
        ),
        (
            PROBES / "two_faces" / "obama_biden.jpg",
            "two_faces",
            "2 faces of similar size (155 and 185 px): take the photo again with the worker "
            "alone, or crop it to the worker's face",
        ),
    ],
)
def test_photo_must_show_one_clear_worker(
    tmp_path: Path, photo: Path, code: str, reason: str
) -> None:
    """Which photo, what is wrong, what to do: a clerk can act on the message alone."""
    with pytest.raises(EnrollmentRejected) as caught:
        enroll(Gallery(tmp_path / "g.db"), "W-1", [photo])
    assert caught.value.reason == reason
    assert caught.value.code == code
    assert str(caught.value) == f"{photo}: {reason}"


def test_a_smaller_bystander_does_not_stop_enrollment(
    tmp_path: Path, london_001_rgb: np.ndarray
) -> None:
    """The largest face is the worker when every other face is clearly smaller."""
    import cv2

    bystander = load_rgb(FIXTURES / "london_002" / "1.jpg")
    small = cv2.resize(bystander, None, fx=0.45, fy=0.45, interpolation=cv2.INTER_AREA)
    picture = np.full((500, 800, 3), 120, np.uint8)
    picture[:, :500] = london_001_rgb
    picture[250 : 250 + small.shape[0], 560 : 560 + small.shape[1]] = small
    photo = _save(tmp_path / "office.jpg", picture)
    assert len(analyse(load_rgb(photo))) == 2
    g = Gallery(tmp_path / "g.db")
    enroll(g, "london_001", [photo])
    probe = observe(FIXTURES / "london_001" / "2.jpg")[0].encoding
    assert g.snapshot().match(probe).worker_id == "london_001"


def test_a_face_cut_off_by_the_edge_is_refused(tmp_path: Path, london_001_rgb: np.ndarray) -> None:
    cut = london_001_rgb[:, 230:]  # the left part of the face is outside the picture
    photo = _save(tmp_path / "cut.jpg", np.ascontiguousarray(cut))
    with pytest.raises(EnrollmentRejected) as caught:
        enroll(Gallery(tmp_path / "g.db"), "W-1", [photo])
    assert caught.value.code == "cut_off"
    assert caught.value.reason == (
        "face cut off by the edge of the picture: take the photo again with the worker's "
        "whole face inside the picture"
    )


def test_unreadable_photo_is_rejected(tmp_path: Path) -> None:
    bad = tmp_path / "bad.jpg"
    bad.write_bytes(b"\x00" * 10)
    with pytest.raises(EnrollmentRejected, match="cannot read the image: send the original") as e:
        enroll(Gallery(tmp_path / "g.db"), "W-1", [bad])
    assert e.value.code == "unreadable"


def test_one_bad_photo_refuses_the_whole_batch(tmp_path: Path) -> None:
    g = Gallery(tmp_path / "g.db")
    with pytest.raises(EnrollmentRejected, match="no face"):
        enroll(g, "W-1", [FIXTURES / "lisa" / "1.jpg", PROBES / "no_face" / "rocket.jpg"])
    assert g.count() == 0 and g.template_count() == 0 and g.version == 0


def test_duplicate_identity_is_refused(gallery: Gallery) -> None:
    before = gallery.version
    with pytest.raises(DuplicateIdentity) as caught:
        enroll(gallery, "W-999", [FIXTURES / "obama" / "2.jpg"])
    assert caught.value.existing_worker_id == "obama"
    assert caught.value.distance <= DEFAULT_THRESHOLD
    assert "obama" in str(caught.value)
    assert gallery.version == before
    assert "W-999" not in gallery.worker_ids()


def test_more_photos_for_the_same_worker_are_kept(tmp_path: Path) -> None:
    g = Gallery(tmp_path / "g.db")
    lisa = FIXTURES / "lisa"
    first = enroll(g, "lisa", [lisa / "1.jpg"], name="Lisa")
    second = enroll(g, "lisa", [lisa / "2.jpg", lisa / "3.jpg"])
    assert len(first.template_ids) == 1 and len(second.template_ids) == 2
    assert second.gallery_version == first.gallery_version + 1 == 2
    assert g.count() == 1 and g.template_count("lisa") == 3
    sources = [row["source"] for row in g.db["templates"].rows]
    assert sources == [str(lisa / f"{n}.jpg") for n in (1, 2, 3)]
    assert next(iter(g.db["workers"].rows))["name"] == "Lisa"


# --- matcher on synthetic vectors ----------------------------------------------------------


def test_defaults_are_stricter_than_dlibs_one_to_one_threshold() -> None:
    assert DEFAULT_THRESHOLD < 0.591 < 0.6  # the astronaut's distance to london_003
    assert 0 < DEFAULT_MARGIN < 0.279  # the smallest genuine best-vs-runner-up gap measured


def test_empty_matcher_knows_nobody() -> None:
    matcher = Matcher([], np.empty((0, 128)))
    assert len(matcher) == 0
    assert matcher.match(_unit(0)) == Match(None, math.inf, None, None)


def test_single_worker_within_threshold_is_accepted() -> None:
    matcher = Matcher(["a"], [_unit(0)])
    probe = _unit(0) + _unit(1, 0.3)
    match = matcher.match(probe)
    assert match.worker_id == "a"
    assert match.distance == pytest.approx(0.3, abs=1e-6)
    assert match.runner_up is None and match.runner_up_distance is None


def test_threshold_is_inclusive_and_beyond_it_is_unknown() -> None:
    matcher = Matcher(["a"], [np.zeros(128)])
    assert matcher.match(_unit(0, 0.5), threshold=0.5).worker_id == "a"
    far = matcher.match(_unit(0, 0.5001), threshold=0.5)
    assert far.worker_id is None
    assert far.nearest == "a"
    assert far.distance == pytest.approx(0.5001, abs=1e-6)


def test_margin_refuses_a_face_between_two_workers() -> None:
    matcher = Matcher(["a", "b"], [np.zeros(128), _unit(0, 0.75)])
    ambiguous = matcher.match(_unit(0, 0.35), threshold=0.5, margin=0.1)  # 0.35 vs 0.40
    assert ambiguous.worker_id is None
    assert (ambiguous.nearest, ambiguous.runner_up) == ("a", "b")
    assert ambiguous.runner_up_distance == pytest.approx(0.40, abs=1e-6)
    clear = matcher.match(_unit(0, 0.25), threshold=0.5, margin=0.1)  # 0.25 vs 0.50
    assert clear.worker_id == "a"
    assert clear.runner_up == "b"
    assert matcher.match(_unit(0, 0.35), threshold=0.5, margin=0.0).worker_id == "a"


def test_several_templates_per_worker_use_the_best_one() -> None:
    labels = ["b", "a", "b", "a", "c"]
    matrix = [_unit(1), _unit(2), _unit(3, 0.1), _unit(4), _unit(5)]
    matcher = Matcher(labels, matrix)
    assert matcher.worker_ids == ["a", "b", "c"]
    assert matcher.template_count == 5
    np.testing.assert_allclose(matcher.distances(np.zeros(128)), [1.0, 0.1, 1.0], rtol=1e-6)
    match = matcher.match(np.zeros(128))
    # the runner-up is another worker, never b's own second template
    assert (match.worker_id, match.runner_up) == ("b", "a")
    assert match.distance == pytest.approx(0.1, abs=1e-6)
    assert match.runner_up_distance == pytest.approx(1.0, abs=1e-6)


def test_large_gallery_finds_the_one_close_worker() -> None:
    rng = np.random.default_rng(7)
    matrix = rng.normal(size=(30_000, 128)).astype(np.float32)
    labels = [f"W-{i % 10_000:05d}" for i in range(30_000)]
    matcher = Matcher(labels, matrix)
    probe = matrix[12_345] + 0.01
    match = matcher.match(probe)
    assert match.worker_id == labels[12_345]
    assert len(matcher) == 10_000


def test_matcher_rejects_malformed_input() -> None:
    with pytest.raises(ValueError, match="N x 128"):
        Matcher(["a"], np.zeros((1, 64)))
    with pytest.raises(ValueError, match="2 labels for 1 templates"):
        Matcher(["a", "b"], np.zeros((1, 128)))


# --- gallery storage -----------------------------------------------------------------------


def test_every_change_bumps_the_version(tmp_path: Path) -> None:
    g = Gallery(tmp_path / "g.db")
    assert g.version == 0
    g.add("a", [_unit(0)], source="test")
    g.add("a", [_unit(1), _unit(2)])
    assert g.version == 2
    assert g.remove_worker("a") is True
    assert g.version == 3
    assert g.remove_worker("a") is False
    assert g.version == 3
    assert g.count() == 0 and g.template_count() == 0


def test_gallery_persists_across_reopen(tmp_path: Path) -> None:
    path = tmp_path / "g.db"
    rng = np.random.default_rng(1)
    encodings = rng.normal(size=(3, 128))
    with Gallery(path) as g:
        g.add("b", encodings[:2], name="Bea")
        g.add("a", encodings[2:])
    with Gallery(path) as g:
        assert g.worker_ids() == ["a", "b"]
        assert g.count() == 2 and g.template_count() == 3
        assert g.version == 2
        assert g.db.journal_mode == "wal"
        blob = next(iter(g.db["templates"].rows))["encoding"]
        assert len(blob) == 128 * 4  # float32
        matcher = g.snapshot()
        match = matcher.match(encodings[1])
        assert match.worker_id == "b" and match.distance < 1e-5


def test_snapshot_is_cached_until_the_gallery_changes(tmp_path: Path) -> None:
    path = tmp_path / "g.db"
    g = Gallery(path)
    g.add("a", [_unit(0)])
    first = g.snapshot()
    assert g.snapshot() is first
    g.add("b", [_unit(1)])
    second = g.snapshot()
    assert second is not first and second.worker_ids == ["a", "b"]
    # a change written by another connection (e.g. the sync process) is seen too
    with Gallery(path) as other:
        other.remove_worker("a")
    assert g.snapshot().worker_ids == ["b"]


def test_gallery_refuses_bad_encodings(tmp_path: Path) -> None:
    g = Gallery(tmp_path / "g.db")
    with pytest.raises(GalleryError):
        g.add("a", [np.zeros(64)])
    with pytest.raises(GalleryError):
        g.add("a", [np.full(128, np.nan)])
    with pytest.raises(GalleryError):
        g.add("", [np.zeros(128)])
    with pytest.raises(GalleryError):
        g.add("a", [])
    assert g.version == 0


# --- model files ---------------------------------------------------------------------------


def test_model_files_are_found() -> None:
    for name in (models.SHAPE_5, models.SHAPE_68, models.RESNET):
        assert models.model_path(name).is_file()
    assert models.shape_predictor_68() is models.shape_predictor_68()


def test_each_thread_gets_its_own_detector() -> None:
    """dlib's HOG detector keeps per-call state, and detection runs without the GIL."""
    import threading

    mine = models.face_detector()
    assert models.face_detector() is mine
    seen: list[object] = []
    worker = threading.Thread(target=lambda: seen.append(models.face_detector()))
    worker.start()
    worker.join()
    assert seen and seen[0] is not mine


def test_missing_model_files_raise_a_clear_error(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv(models.MODELS_ENV, str(tmp_path))
    with pytest.raises(models.FaceModelsMissing, match="face model file not found"):
        models.face_encoder()
