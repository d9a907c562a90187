"""The real Python huggingface_hub through Orchard's pull-through cache; run by check-python-mirror.sh.

Phase "online": creates a repo on hub A (ORCHARD_A) with a regular file, an LFS file and a nested
file, then reads it through the mirror (HF_ENDPOINT) with model_info, list_repo_files,
hf_hub_download and snapshot_download, and checks every byte against what was uploaded. Phase
"upstream-down" (A stopped): the same reads, with a fresh client cache, must give the same bytes.
"""
import hashlib
import json
import os
import sys
import tempfile

import pyclient_compat  # noqa: F401  (patches Debian's old filelock before huggingface_hub loads)
from huggingface_hub import HfApi, hf_hub_download, snapshot_download

REPO = "alice/py-mirror"
A = os.environ["ORCHARD_A"]
STATE = os.environ["ORCHARD_STATE"]


def sha(path: str) -> str:
    h = hashlib.sha256()
    with open(path, "rb") as f:
        for chunk in iter(lambda: f.read(1 << 20), b""):
            h.update(chunk)
    return h.hexdigest()


def read_through_mirror(expected: dict[str, str], head: str) -> None:
    api = HfApi()  # HF_ENDPOINT: the mirror
    info = api.model_info(REPO)
    assert info.sha == head, (info.sha, head)
    files = sorted(api.list_repo_files(REPO))
    assert files == sorted(expected), files
    for name, digest in expected.items():
        path = hf_hub_download(REPO, name)
        assert sha(path) == digest, name
    with tempfile.TemporaryDirectory() as d:
        snap = snapshot_download(REPO, local_dir=d)
        for name, digest in expected.items():
            assert sha(os.path.join(snap, name)) == digest, f"snapshot {name}"
    pinned = hf_hub_download(REPO, "weights.bin", revision=head)
    assert sha(pinned) == expected["weights.bin"]


def main() -> int:
    phase = sys.argv[1]
    if phase == "online":
        upstream = HfApi(endpoint=A)
        upstream.create_repo(REPO)
        contents = {
            "config.json": json.dumps({"model_type": "py-mirror"}).encode(),
            "weights.bin": os.urandom(12 * 1024 * 1024 + 5),
            "nested/notes.txt": b"nested file",
        }
        for name, data in contents.items():
            upstream.upload_file(path_or_fileobj=data, path_in_repo=name, repo_id=REPO)
        expected = {name: hashlib.sha256(data).hexdigest() for name, data in contents.items()}
        with tempfile.TemporaryDirectory() as d:  # not the shared client cache: B must serve it later
            expected[".gitattributes"] = sha(hf_hub_download(REPO, ".gitattributes", endpoint=A, cache_dir=d))
        head = upstream.model_info(REPO).sha
        with open(STATE, "w") as f:
            json.dump({"expected": expected, "head": head}, f)
    else:
        with open(STATE) as f:
            state = json.load(f)
        expected, head = state["expected"], state["head"]
    read_through_mirror(expected, head)
    print(f"python huggingface_hub through the mirror ({phase}): model_info, list_repo_files, hf_hub_download, snapshot_download: ok")
    return 0


if __name__ == "__main__":
    sys.exit(main())
