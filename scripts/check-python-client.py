#!/usr/bin/env python3
"""End-to-end check of a running Orchard hub with the real Python client `huggingface_hub`.

This script only *uses* the public API of `huggingface_hub`; it is imported from whatever
PYTHONPATH the caller sets (see scripts/check-python-client.sh for the environment).

Environment:
  HF_ENDPOINT          base URL of the running hub, e.g. http://127.0.0.1:8190 (required)
  HF_TOKEN             write token of a first user, "alice" (required)
  ORCHARD_OTHER_TOKEN  token of a second, non-admin user, "bob" (required: private-repo checks)
  HF_HUB_DISABLE_XET   must be 1: Orchard has no Xet, and huggingface_hub >= 1.20 with hf_xet
                       installed would otherwise upload LFS content through Xet only.

Every check prints one PASS/FAIL line with detail; the exit status is 1 if any check failed
(CHECK_VERBOSE=1 adds the traceback of unexpected exceptions). Repos are created under unique
names and deleted at the end, even after failures.
"""

from __future__ import annotations

import hashlib
import os
import re
import sys
import tempfile
import traceback
import uuid
from pathlib import Path
from typing import Callable


import pyclient_compat  # noqa: E402,F401  (patches Debian's old filelock before huggingface_hub loads)

import huggingface_hub  # noqa: E402
from huggingface_hub import (
    CommitOperationAdd,
    CommitOperationCopy,
    HfApi,
    hf_hub_download,
    snapshot_download,
)
from huggingface_hub.errors import (
    EntryNotFoundError,
    HfHubHTTPError,
    RepositoryNotFoundError,
)

try:  # named RemoteEntryNotFoundError since huggingface_hub 1.0; subclass of EntryNotFoundError
    from huggingface_hub.errors import RemoteEntryNotFoundError
except ImportError:  # pragma: no cover - older clients
    RemoteEntryNotFoundError = EntryNotFoundError  # type: ignore[misc,assignment]

from huggingface_hub.utils import get_session, hf_raise_for_status  # noqa: E402

try:
    from huggingface_hub.hf_api import RepoFile, RepoFolder
except ImportError:  # pragma: no cover
    from huggingface_hub import RepoFile, RepoFolder  # type: ignore[no-redef]


ENDPOINT = os.environ.get("HF_ENDPOINT", "").rstrip("/")
TOKEN = os.environ.get("HF_TOKEN", "")
OTHER_TOKEN = os.environ.get("ORCHARD_OTHER_TOKEN", "")

HEX40 = re.compile(r"^[0-9a-f]{40}$")

RESULTS: list[tuple[str, bool, str]] = []


class CheckFailed(AssertionError):
    pass


def expect(cond: object, message: str) -> None:
    if not cond:
        raise CheckFailed(message)


def check(name: str) -> Callable[[Callable[[], str | None]], None]:
    """Run the decorated function at once as a named check; its return value is the PASS detail."""

    def run(fn: Callable[[], str | None]) -> None:
        try:
            detail = fn() or ""
            RESULTS.append((name, True, detail))
            print(f"PASS  {name}" + (f": {detail}" if detail else ""), flush=True)
        except Exception as err:  # noqa: BLE001 - every failure is reported, then we carry on
            if isinstance(err, CheckFailed):
                detail = str(err)
            else:
                detail = f"{type(err).__name__}: {err}"
            RESULTS.append((name, False, detail))
            print(f"FAIL  {name}: {detail}", flush=True)
            if not isinstance(err, CheckFailed) and os.environ.get("CHECK_VERBOSE"):
                traceback.print_exc()

    return run


def expect_raises(exc_type: type[BaseException] | tuple, fn: Callable[[], object]) -> BaseException:
    try:
        fn()
    except exc_type as err:  # type: ignore[misc]
        return err
    except Exception as err:  # noqa: BLE001
        raise CheckFailed(f"expected {_names(exc_type)}, got {type(err).__name__}: {err}") from err
    raise CheckFailed(f"expected {_names(exc_type)}, but the call succeeded")


def _names(exc_type: type[BaseException] | tuple) -> str:
    if isinstance(exc_type, tuple):
        return " or ".join(t.__name__ for t in exc_type)
    return exc_type.__name__


def status_of(err: BaseException) -> int | None:
    response = getattr(err, "response", None)
    return getattr(response, "status_code", None)


def git_blob_sha1(data: bytes) -> str:
    return hashlib.sha1(b"blob %d\0" % len(data) + data).hexdigest()


def main() -> int:
    if not ENDPOINT or not TOKEN or not OTHER_TOKEN:
        print("HF_ENDPOINT, HF_TOKEN and ORCHARD_OTHER_TOKEN must be set", file=sys.stderr)
        return 2
    if os.environ.get("HF_HUB_DISABLE_XET") not in ("1", "true", "True", "yes"):
        print("warning: HF_HUB_DISABLE_XET is not set; LFS uploads may try Xet", file=sys.stderr)

    print(f"huggingface_hub {huggingface_hub.__version__} from {Path(huggingface_hub.__file__).parent}")
    print(f"endpoint {ENDPOINT}")

    api = HfApi(endpoint=ENDPOINT, token=TOKEN)
    bob = HfApi(endpoint=ENDPOINT, token=OTHER_TOKEN)

    work = Path(tempfile.mkdtemp(prefix="orchard-pycheck-"))
    suffix = uuid.uuid4().hex[:8]
    state: dict[str, object] = {}

    # ------------------------------------------------------------------ identity
    @check("whoami")
    def _() -> str:
        me = api.whoami()
        expect(isinstance(me.get("name"), str) and me["name"], f"no name in {me!r}")
        expect(me.get("type") == "user", f"type is {me.get('type')!r}")
        other = bob.whoami()
        expect(other["name"] != me["name"], "both tokens belong to the same user")
        state["ns"] = me["name"]
        state["bob"] = other["name"]
        return f"alice={me['name']} bob={other['name']}"

    ns = str(state.get("ns") or "alice")
    model_id = f"{ns}/pycheck-model-{suffix}"
    dataset_id = f"{ns}/pycheck-data-{suffix}"
    private_id = f"{ns}/pycheck-private-{suffix}"
    moved_id = f"{ns}/pycheck-moved-{suffix}"
    pages_id = f"{ns}/pycheck-pages-{suffix}"
    created: list[tuple[str, str | None]] = []

    try:
        run_checks(api, bob, work, state, ns, model_id, dataset_id, private_id, moved_id, created)
        run_pagination_checks(api, work, pages_id, created)
        run_community_checks(api, bob, ns, str(state.get("bob") or "bob"), suffix, created)
    finally:
        # Clean up whatever is left, quietly; delete_repo itself is checked in run_checks.
        for repo_id, repo_type in created:
            try:
                api.delete_repo(repo_id, repo_type=repo_type, missing_ok=True)
            except Exception as err:  # noqa: BLE001
                print(f"note: cleanup of {repo_id} failed: {err}", file=sys.stderr)

    failed = [r for r in RESULTS if not r[1]]
    print(f"\n{len(RESULTS) - len(failed)}/{len(RESULTS)} checks passed")
    for name, _, detail in failed:
        print(f"  FAILED {name}: {detail}")
    return 1 if failed else 0


def run_checks(
    api: HfApi,
    bob: HfApi,
    work: Path,
    state: dict[str, object],
    ns: str,
    model_id: str,
    dataset_id: str,
    private_id: str,
    moved_id: str,
    created: list[tuple[str, str | None]],
) -> None:
    hello = b"hello from the python client check\n"
    readme = (
        "---\n"
        "license: mit\n"
        "tags:\n"
        "- orchard-check\n"
        "library_name: transformers\n"
        "---\n"
        "\n"
        "# Check model\n"
        "\n"
        "Uploaded by scripts/check-python-client.py.\n"
    ).encode()
    big = os.urandom(12 * 1024 * 1024)
    big_sha256 = hashlib.sha256(big).hexdigest()
    folder_files = {
        "a.txt": b"file a\n",
        "sub/b.json": b'{"b": 1}\n',
        "sub/deep/c.txt": b"file c\n",
    }

    # ------------------------------------------------------------------ create_repo
    @check("create_repo (model)")
    def _() -> str:
        url = api.create_repo(model_id)
        created.append((model_id, None))
        expect(url.repo_id == model_id, f"repo_id {url.repo_id!r}")
        expect(url.repo_type == "model", f"repo_type {url.repo_type!r}")
        expect(str(url).startswith(ENDPOINT), f"url {url!s} is not on {ENDPOINT}")
        return str(url)

    @check("create_repo (dataset)")
    def _() -> str:
        url = api.create_repo(dataset_id, repo_type="dataset")
        created.append((dataset_id, "dataset"))
        expect(url.repo_id == dataset_id, f"repo_id {url.repo_id!r}")
        expect(url.repo_type == "dataset", f"repo_type {url.repo_type!r}")
        expect("/datasets/" in str(url), f"url {url!s}")
        return str(url)

    @check("create_repo exist_ok=True on an existing repo")
    def _() -> str:
        url = api.create_repo(model_id, exist_ok=True)
        expect(url.repo_id == model_id, f"repo_id {url.repo_id!r}")
        err = expect_raises(HfHubHTTPError, lambda: api.create_repo(model_id))
        expect(status_of(err) == 409, f"without exist_ok: status {status_of(err)}, expected 409")
        return f"{url!s}; without exist_ok: 409"

    # ------------------------------------------------------------------ uploads
    @check("upload_file (small text)")
    def _() -> str:
        info = api.upload_file(path_or_fileobj=hello, path_in_repo="hello.txt", repo_id=model_id)
        expect(HEX40.match(info.oid or ""), f"commit oid {info.oid!r}")
        expect(info.commit_url.startswith(ENDPOINT), f"commit_url {info.commit_url!r}")
        state["commit_hello"] = info.oid
        return info.oid

    @check("upload_file README.md with YAML front matter (validate-yaml)")
    def _() -> str:
        info = api.upload_file(path_or_fileobj=readme, path_in_repo="README.md", repo_id=model_id)
        expect(HEX40.match(info.oid or ""), f"commit oid {info.oid!r}")
        return info.oid

    @check("upload_file 12 MiB binary (LFS: preupload, batch, PUT, verify, commit)")
    def _() -> str:
        info = api.upload_file(
            path_or_fileobj=big,
            path_in_repo="weights/model.bin",
            repo_id=model_id,
            commit_message="Add weights",
        )
        expect(HEX40.match(info.oid or ""), f"commit oid {info.oid!r}")
        [entry] = api.get_paths_info(model_id, ["weights/model.bin"])
        expect(isinstance(entry, RepoFile), f"got {entry!r}")
        expect(entry.lfs is not None, "stored as a regular file, expected LFS")
        expect(entry.lfs.sha256 == big_sha256, f"lfs sha256 {entry.lfs.sha256} != {big_sha256}")
        expect(entry.size == len(big), f"size {entry.size} != {len(big)}")
        return f"{info.oid}; lfs oid {big_sha256[:12]}…"

    @check("upload_folder")
    def _() -> str:
        local = work / "folder"
        for rel, data in folder_files.items():
            (local / rel).parent.mkdir(parents=True, exist_ok=True)
            (local / rel).write_bytes(data)
        info = api.upload_folder(folder_path=local, path_in_repo="folder", repo_id=model_id)
        expect(HEX40.match(info.oid or ""), f"commit oid {info.oid!r}")
        state["head_after_uploads"] = info.oid
        return info.oid

    @check("upload_file + list on a dataset repo")
    def _() -> str:
        api.upload_file(path_or_fileobj=b"a,b\n1,2\n", path_in_repo="data/train.csv", repo_id=dataset_id, repo_type="dataset")
        files = api.list_repo_files(dataset_id, repo_type="dataset")
        expect("data/train.csv" in files, f"files {files}")
        info = api.dataset_info(dataset_id)
        expect(info.id == dataset_id, f"id {info.id!r}")
        path = hf_hub_download(
            dataset_id, "data/train.csv", repo_type="dataset", cache_dir=work / "cache-dataset", token=TOKEN
        )
        expect(Path(path).read_bytes() == b"a,b\n1,2\n", "downloaded bytes differ")
        return f"{sorted(files)}"

    @check("upload of unchanged content makes no commit (preupload oid)")
    def _() -> str:
        head = str(state.get("head_after_uploads"))
        a = api.upload_file(path_or_fileobj=hello, path_in_repo="hello.txt", repo_id=model_id)
        b = api.upload_file(path_or_fileobj=big, path_in_repo="weights/model.bin", repo_id=model_id)
        expect(a.oid == head, f"regular file re-upload made commit {a.oid} (head was {head})")
        expect(b.oid == head, f"LFS file re-upload made commit {b.oid} (head was {head})")
        expect(api.model_info(model_id).sha == head, "head moved")
        return "regular (git sha1) and LFS (sha256) both skipped"

    @check("paths with spaces and non-ASCII characters")
    def _() -> str:
        path = "dir with space/ü ñ+%.txt"
        api.upload_file(path_or_fileobj=b"unicode\n", path_in_repo=path, repo_id=dataset_id, repo_type="dataset")
        listed = [e.path for e in api.list_repo_tree(dataset_id, path_in_repo="dir with space", repo_type="dataset")]
        expect(listed == [path], f"tree of 'dir with space': {listed}")
        [info] = api.get_paths_info(dataset_id, [path], repo_type="dataset")
        expect(info.path == path, f"paths-info path {info.path!r}")
        expect(api.file_exists(dataset_id, path, repo_type="dataset"), "file_exists is False")
        p = hf_hub_download(dataset_id, path, repo_type="dataset", cache_dir=work / "cache-unicode", token=TOKEN)
        expect(Path(p).read_bytes() == b"unicode\n", "bytes differ")
        return repr(path)

    @check("anonymous download of a public repo")
    def _() -> str:
        p = hf_hub_download(model_id, "hello.txt", cache_dir=work / "cache-anon-public", token=False)
        expect(Path(p).read_bytes() == hello, "bytes differ")
        info = HfApi(endpoint=ENDPOINT, token=False).model_info(model_id)
        expect(info.id == model_id, f"id {info.id!r}")
        return "hf_hub_download and model_info with token=False"

    # ------------------------------------------------------------------ listing
    expected_files = {"hello.txt", "README.md", "weights/model.bin"} | {f"folder/{p}" for p in folder_files}

    @check("list_repo_files")
    def _() -> str:
        files = set(api.list_repo_files(model_id))
        missing = expected_files - files
        expect(not missing, f"missing {sorted(missing)} in {sorted(files)}")
        extra = files - expected_files - {".gitattributes"}
        expect(not extra, f"unexpected files {sorted(extra)}")
        return f"{len(files)} files"

    @check("list_repo_tree (recursive, expand=True)")
    def _() -> str:
        entries = list(api.list_repo_tree(model_id, recursive=True, expand=True))
        files = {e.path: e for e in entries if isinstance(e, RepoFile)}
        folders = {e.path: e for e in entries if isinstance(e, RepoFolder)}
        expect(expected_files <= set(files), f"files {sorted(files)}")
        for d in ("weights", "folder", "folder/sub", "folder/sub/deep"):
            expect(d in folders, f"folder {d!r} missing from {sorted(folders)}")
            expect(HEX40.match(folders[d].tree_id or ""), f"folder {d} oid {folders[d].tree_id!r}")
        h = files["hello.txt"]
        expect(h.blob_id == git_blob_sha1(hello), f"hello.txt oid {h.blob_id} != git sha1")
        expect(h.size == len(hello), f"hello.txt size {h.size}")
        expect(h.lfs is None, "hello.txt has lfs info")
        w = files["weights/model.bin"]
        expect(w.lfs is not None and w.lfs.sha256 == big_sha256, f"model.bin lfs {w.lfs!r}")
        expect(w.size == len(big), f"model.bin size {w.size}")
        for e in entries:
            expect(e.last_commit is not None, f"{e.path}: no lastCommit with expand=True")
            expect(HEX40.match(e.last_commit.oid), f"{e.path}: lastCommit id {e.last_commit.oid!r}")
        expect(
            files["hello.txt"].last_commit.oid == state.get("commit_hello"),
            f"hello.txt lastCommit {files['hello.txt'].last_commit.oid} != {state.get('commit_hello')}",
        )
        expect(files["weights/model.bin"].last_commit.title == "Add weights", "model.bin lastCommit title")
        # Non-recursive listing of a sub-folder.
        sub = {e.path for e in api.list_repo_tree(model_id, path_in_repo="folder/sub")}
        expect(sub == {"folder/sub/b.json", "folder/sub/deep"}, f"tree folder/sub: {sorted(sub)}")
        return f"{len(files)} files, {len(folders)} folders, lastCommit on all"

    @check("get_paths_info")
    def _() -> str:
        infos = api.get_paths_info(model_id, ["hello.txt", "weights/model.bin", "folder", "does/not/exist.txt"])
        by_path = {i.path: i for i in infos}
        expect(set(by_path) == {"hello.txt", "weights/model.bin", "folder"}, f"paths {sorted(by_path)}")
        expect(isinstance(by_path["folder"], RepoFolder), "folder is not a RepoFolder")
        expect(isinstance(by_path["hello.txt"], RepoFile), "hello.txt is not a RepoFile")
        expect(by_path["weights/model.bin"].lfs is not None, "model.bin has no lfs info")
        expanded = api.get_paths_info(model_id, ["hello.txt"], expand=True)
        expect(expanded and expanded[0].last_commit is not None, "expand=True: no lastCommit")
        return "missing path skipped, expand=True has lastCommit"

    @check("model_info (files_metadata=True)")
    def _() -> str:
        info = api.model_info(model_id, files_metadata=True)
        expect(info.id == model_id, f"id {info.id!r}")
        expect(info.sha == state.get("head_after_uploads"), f"sha {info.sha} != {state.get('head_after_uploads')}")
        expect(info.private is False, f"private {info.private!r}")
        siblings = {s.rfilename: s for s in info.siblings or []}
        expect(expected_files <= set(siblings), f"siblings {sorted(siblings)}")
        w = siblings["weights/model.bin"]
        expect(w.size == len(big), f"model.bin size {w.size}")
        expect(w.lfs is not None and w.lfs.sha256 == big_sha256, f"model.bin lfs {w.lfs!r}")
        h = siblings["hello.txt"]
        expect(h.blob_id == git_blob_sha1(hello), f"hello.txt blob_id {h.blob_id}")
        expect(h.lfs is None, "hello.txt has lfs")
        card = info.card_data
        expect(card is not None and card.get("license") == "mit", f"cardData {card!r}")
        expect(info.tags and "orchard-check" in info.tags, f"tags {info.tags!r}")
        expect(info.last_modified is not None, "no lastModified")
        return f"sha {info.sha[:12]}…, {len(siblings)} siblings, license={card.get('license')}"

    @check("list_models (search, author)")
    def _() -> str:
        name = model_id.split("/")[1]
        by_search = [m.id for m in api.list_models(search=name)]
        expect(by_search == [model_id], f"search={name}: {by_search}")
        by_author = [m.id for m in api.list_models(author=ns)]
        expect(model_id in by_author, f"author={ns}: {by_author}")
        expect(dataset_id not in by_author, "a dataset appears in list_models")
        both = [m.id for m in api.list_models(search=name, author=ns)]
        expect(both == [model_id], f"search+author: {both}")
        none = list(api.list_models(search=name, author=f"nobody{uuid.uuid4().hex[:6]}"))
        expect(none == [], f"unknown author: {none}")
        datasets = [d.id for d in api.list_datasets(author=ns, search=dataset_id.split("/")[1])]
        expect(datasets == [dataset_id], f"list_datasets: {datasets}")
        return f"author={ns}: {len(by_author)} models"

    # ------------------------------------------------------------------ downloads
    @check("hf_hub_download (compare bytes, fresh cache)")
    def _() -> str:
        cache = work / "cache-download"
        p1 = Path(hf_hub_download(model_id, "hello.txt", cache_dir=cache, token=TOKEN))
        expect(p1.read_bytes() == hello, "hello.txt bytes differ")
        p2 = Path(hf_hub_download(model_id, "weights/model.bin", cache_dir=cache, token=TOKEN))
        expect(p2.read_bytes() == big, "model.bin bytes differ")
        p3 = Path(hf_hub_download(model_id, "folder/sub/deep/c.txt", cache_dir=cache, token=TOKEN))
        expect(p3.read_bytes() == folder_files["sub/deep/c.txt"], "c.txt bytes differ")
        # Cache layout: blobs are named by the ETag (git sha1 / LFS sha256), the snapshot by X-Repo-Commit.
        expect(p1.resolve().name == git_blob_sha1(hello), f"hello.txt blob name {p1.resolve().name}")
        expect(p2.resolve().name == big_sha256, f"model.bin blob name {p2.resolve().name}")
        expect(p1.parent.name == state.get("head_after_uploads"), f"snapshot folder {p1.parent.name}")
        return f"3 files; snapshot {p1.parent.name[:12]}…"

    @check("snapshot_download (fresh cache)")
    def _() -> str:
        cache = work / "cache-snapshot"
        root = Path(snapshot_download(model_id, cache_dir=cache, token=TOKEN))
        got = {
            p.relative_to(root).as_posix()
            for p in root.rglob("*")
            if p.is_file() or (p.is_symlink() and not p.is_dir())
        }
        expect(expected_files <= got, f"missing {sorted(expected_files - got)}")
        expect((root / "hello.txt").read_bytes() == hello, "hello.txt differs")
        expect((root / "README.md").read_bytes() == readme, "README.md differs")
        expect((root / "weights/model.bin").read_bytes() == big, "model.bin differs")
        for rel, data in folder_files.items():
            expect((root / "folder" / rel).read_bytes() == data, f"folder/{rel} differs")
        expect(root.name == state.get("head_after_uploads"), f"snapshot dir {root.name}")
        return f"{len(got)} files in {root.name[:12]}…"

    @check("file_exists / repo_exists / revision_exists")
    def _() -> str:
        expect(api.file_exists(model_id, "hello.txt") is True, "file_exists(hello.txt) is False")
        expect(api.file_exists(model_id, "weights/model.bin") is True, "file_exists(model.bin) is False")
        expect(api.file_exists(model_id, "nope.txt") is False, "file_exists(nope.txt) is True")
        expect(api.repo_exists(model_id) is True, "repo_exists(model) is False")
        expect(api.repo_exists(dataset_id, repo_type="dataset") is True, "repo_exists(dataset) is False")
        expect(api.repo_exists(dataset_id) is False, "dataset id found as a model")
        expect(api.repo_exists(f"{ns}/nope-{uuid.uuid4().hex[:6]}") is False, "repo_exists(missing) is True")
        expect(api.revision_exists(model_id, "main") is True, "revision_exists(main) is False")
        expect(api.revision_exists(model_id, "no-such-branch") is False, "revision_exists(no-such-branch) is True")
        return "all as expected"

    # ------------------------------------------------------------------ refs and history
    @check("create_branch / create_tag / list_repo_refs")
    def _() -> str:
        head = str(state.get("head_after_uploads"))
        api.create_branch(model_id, branch="dev")
        api.create_branch(model_id, branch="dev", exist_ok=True)
        err = expect_raises(HfHubHTTPError, lambda: api.create_branch(model_id, branch="dev"))
        expect(status_of(err) == 409, f"duplicate branch: status {status_of(err)}, expected 409")
        api.create_tag(model_id, tag="v1", tag_message="first tag")
        err = expect_raises(HfHubHTTPError, lambda: api.create_tag(model_id, tag="v1"))
        expect(status_of(err) == 409, f"duplicate tag: status {status_of(err)}, expected 409")
        refs = api.list_repo_refs(model_id)
        branches = {b.name: b for b in refs.branches}
        tags = {t.name: t for t in refs.tags}
        expect({"main", "dev"} <= set(branches), f"branches {sorted(branches)}")
        expect(branches["dev"].target_commit == head, f"dev -> {branches['dev'].target_commit}, expected {head}")
        expect(branches["dev"].ref == "refs/heads/dev", f"dev ref {branches['dev'].ref!r}")
        expect("v1" in tags and tags["v1"].target_commit == head, f"tags {refs.tags!r}")
        expect(tags["v1"].ref == "refs/tags/v1", f"v1 ref {tags['v1'].ref!r}")
        # Commit on the branch, then read it back through the branch and the tag.
        api.upload_file(path_or_fileobj=b"dev only\n", path_in_repo="dev.txt", repo_id=model_id, revision="dev")
        p = hf_hub_download(model_id, "dev.txt", revision="dev", cache_dir=work / "cache-dev", token=TOKEN)
        expect(Path(p).read_bytes() == b"dev only\n", "dev.txt differs")
        expect(api.file_exists(model_id, "dev.txt") is False, "dev.txt leaked to main")
        expect(api.revision_exists(model_id, "v1") is True, "revision_exists(v1) is False")
        tagged = api.model_info(model_id, revision="v1")
        expect(tagged.sha == head, f"model_info(revision=v1).sha {tagged.sha}")
        return f"branches {sorted(branches)}, tags {sorted(tags)}"

    @check("list_repo_commits")
    def _() -> str:
        commits = api.list_repo_commits(model_id)
        titles = [c.title for c in commits]
        expect(len(commits) >= 5, f"only {len(commits)} commits: {titles}")
        expect(commits[0].commit_id == state.get("head_after_uploads"), f"newest {commits[0].commit_id}")
        expect("Add weights" in titles, f"titles {titles}")
        for c in commits:
            expect(HEX40.match(c.commit_id), f"commit id {c.commit_id!r}")
            expect(c.created_at is not None, "no date")
            expect(c.authors, f"{c.commit_id}: no authors")
        dev = api.list_repo_commits(model_id, revision="dev")
        expect(len(dev) == len(commits) + 1, f"dev has {len(dev)} commits, main {len(commits)}")
        return f"{len(commits)} on main, newest {titles[0]!r}, authors {commits[0].authors}"

    @check("hf_hub_download at a commit sha, a tag, and a branch named feature/x")
    def _() -> str:
        head = str(state.get("head_after_uploads"))
        first = str(state.get("commit_hello"))
        cache = work / "cache-revs"
        p = Path(hf_hub_download(model_id, "hello.txt", revision=first, cache_dir=cache, token=TOKEN))
        expect(p.read_bytes() == hello and p.parent.name == first, f"at {first}: {p}")
        expect_raises(
            EntryNotFoundError,
            lambda: hf_hub_download(model_id, "weights/model.bin", revision=first, cache_dir=cache, token=TOKEN),
        )
        p = Path(hf_hub_download(model_id, "weights/model.bin", revision="v1", cache_dir=cache, token=TOKEN))
        expect(p.parent.parent.name == head, f"tag v1 resolved to {p.parent.parent.name}")
        api.create_branch(model_id, branch="feature/x", revision=first)
        refs = {b.name: b.target_commit for b in api.list_repo_refs(model_id).branches}
        expect(refs.get("feature/x") == first, f"feature/x -> {refs.get('feature/x')}")
        expect(api.revision_exists(model_id, "feature/x"), "revision_exists(feature/x) is False")
        expect(api.file_exists(model_id, "README.md", revision="feature/x") is False, "README.md at feature/x")
        p = Path(hf_hub_download(model_id, "hello.txt", revision="feature/x", cache_dir=cache, token=TOKEN))
        expect(p.parent.name == first, f"feature/x snapshot {p.parent.name}")
        expect((cache / f"models--{model_id.replace('/', '--')}" / "refs" / "feature" / "x").read_text() == first, "refs/feature/x")
        files = api.list_repo_files(model_id, revision="feature/x")
        expect(set(files) - {".gitattributes"} == {"hello.txt"}, f"files at feature/x: {files}")
        history = api.list_repo_commits(model_id, revision="feature/x")
        expect(history[0].commit_id == first, f"commits at feature/x start with {history[0].commit_id}")
        api.delete_branch(model_id, branch="feature/x")
        api.delete_tag(model_id, tag="v1")
        refs = api.list_repo_refs(model_id)
        expect("feature/x" not in {b.name for b in refs.branches}, "feature/x not deleted")
        expect("v1" not in {t.name for t in refs.tags}, "v1 not deleted")
        expect(api.revision_exists(model_id, "v1") is False, "revision_exists(v1) after delete_tag")
        return "sha, tag, slash-branch, delete_branch, delete_tag"

    @check("create_commit with CommitOperationCopy (LFS and regular)")
    def _() -> str:
        info = api.create_commit(
            model_id,
            operations=[
                CommitOperationCopy(src_path_in_repo="weights/model.bin", path_in_repo="weights/copy.bin"),
                CommitOperationCopy(src_path_in_repo="hello.txt", path_in_repo="hello-copy.txt"),
            ],
            commit_message="Copy files",
        )
        by_path = {e.path: e for e in api.get_paths_info(model_id, ["weights/copy.bin", "hello-copy.txt"])}
        copy = by_path.get("weights/copy.bin")
        expect(copy is not None and copy.lfs is not None, f"weights/copy.bin: {copy!r}")
        expect(copy.lfs.sha256 == big_sha256 and copy.size == len(big), f"copy lfs {copy.lfs!r} size {copy.size}")
        expect(by_path.get("hello-copy.txt") and by_path["hello-copy.txt"].blob_id == git_blob_sha1(hello), "hello-copy.txt")
        p = hf_hub_download(model_id, "weights/copy.bin", cache_dir=work / "cache-copy", token=TOKEN)
        expect(Path(p).read_bytes() == big, "copy.bin bytes differ")
        # Leave the repo as the later checks expect it.
        api.delete_files(model_id, delete_patterns=["weights/copy.bin", "hello-copy.txt"])
        return f"{info.oid}"

    # ------------------------------------------------------------------ deletions
    @check("delete_file")
    def _() -> str:
        info = api.delete_file("hello.txt", repo_id=model_id)
        expect(HEX40.match(info.oid or ""), f"commit oid {info.oid!r}")
        expect(api.file_exists(model_id, "hello.txt") is False, "hello.txt still exists")
        err = expect_raises(EntryNotFoundError, lambda: api.delete_file("hello.txt", repo_id=model_id))
        return f"{info.oid}; deleting again: {type(err).__name__}"

    @check("delete_folder")
    def _() -> str:
        info = api.delete_folder("folder/sub", repo_id=model_id)
        files = set(api.list_repo_files(model_id))
        expect(not any(f.startswith("folder/sub/") for f in files), f"still there: {sorted(files)}")
        expect("folder/a.txt" in files, f"folder/a.txt was deleted too: {sorted(files)}")
        state["head_after_deletes"] = info.oid
        return f"{info.oid}; {sorted(files)}"

    @check("create_commit with a stale parent_commit -> 412")
    def _() -> str:
        stale = str(state.get("head_after_uploads"))
        op = CommitOperationAdd(path_in_repo="stale.txt", path_or_fileobj=b"stale\n")
        err = expect_raises(
            HfHubHTTPError,
            lambda: api.create_commit(model_id, operations=[op], commit_message="stale", parent_commit=stale),
        )
        expect(status_of(err) == 412, f"status {status_of(err)}, expected 412 ({err})")
        expect(api.file_exists(model_id, "stale.txt") is False, "stale.txt was committed anyway")
        # The current head as parent works.
        head = api.model_info(model_id).sha
        ok = api.create_commit(
            model_id,
            operations=[CommitOperationAdd(path_in_repo="fresh.txt", path_or_fileobj=b"fresh\n")],
            commit_message="fresh",
            parent_commit=head,
        )
        expect(HEX40.match(ok.oid or ""), f"commit with current parent: {ok.oid!r}")
        return f"412, server message {getattr(err, 'server_message', None)!r}"

    @check("hf_hub_download of a missing file -> RemoteEntryNotFoundError")
    def _() -> str:
        cache = work / "cache-missing"
        err = expect_raises(
            EntryNotFoundError,
            lambda: hf_hub_download(model_id, "missing/file.txt", cache_dir=cache, token=TOKEN),
        )
        expect(isinstance(err, RemoteEntryNotFoundError), f"{type(err).__name__} is not RemoteEntryNotFoundError")
        # With X-Repo-Commit on the 404 the client caches the absence under .no_exist/<commit>/.
        no_exist = list(cache.glob("models--*/.no_exist/*/missing/file.txt"))
        expect(no_exist, ".no_exist marker not written (no X-Repo-Commit on the 404?)")
        err2 = expect_raises(
            RepositoryNotFoundError,
            lambda: hf_hub_download(f"{ns}/nope-{uuid.uuid4().hex[:6]}", "x.txt", cache_dir=cache, token=TOKEN),
        )
        return f"{type(err).__name__}; missing repo: {type(err2).__name__}"

    # ------------------------------------------------------------------ private repos
    @check("private repo invisible to another user")
    def _() -> str:
        api.create_repo(private_id, private=True)
        created.append((private_id, None))
        api.upload_file(path_or_fileobj=b"secret\n", path_in_repo="secret.txt", repo_id=private_id)
        info = api.model_info(private_id)
        expect(info.private is True, f"owner sees private={info.private!r}")
        expect_raises(RepositoryNotFoundError, lambda: bob.model_info(private_id))
        expect(bob.repo_exists(private_id) is False, "bob: repo_exists is True")
        expect(bob.file_exists(private_id, "secret.txt") is False, "bob: file_exists is True")
        expect_raises(
            RepositoryNotFoundError,
            lambda: hf_hub_download(private_id, "secret.txt", cache_dir=work / "cache-bob", token=OTHER_TOKEN),
        )
        expect_raises(
            RepositoryNotFoundError,
            lambda: hf_hub_download(private_id, "secret.txt", cache_dir=work / "cache-anon", token=False),
        )
        bob_list = [m.id for m in bob.list_models(author=ns)]
        expect(private_id not in bob_list, f"bob's list_models shows {private_id}")
        expect(model_id in bob_list, f"bob's list_models misses the public {model_id}")
        bob_search = [m.id for m in bob.list_models(search=private_id.split("/")[1])]
        expect(bob_search == [], f"bob's search finds {bob_search}")
        alice_list = [m.id for m in api.list_models(author=ns)]
        expect(private_id in alice_list, "the owner's list_models misses the private repo")
        err = expect_raises(
            HfHubHTTPError,
            lambda: bob.upload_file(path_or_fileobj=b"x", path_in_repo="x.txt", repo_id=private_id),
        )
        expect(isinstance(err, RepositoryNotFoundError) or status_of(err) in (403, 404), f"bob upload: {err}")
        return "model_info, repo_exists, file_exists, download, list_models, upload all refused"

    @check("update_repo_settings(private=...)")
    def _() -> str:
        api.update_repo_settings(private_id, private=False)
        expect(api.model_info(private_id).private is False, "still private for the owner")
        expect(bob.model_info(private_id).id == private_id, "bob cannot see the now-public repo")
        p = hf_hub_download(private_id, "secret.txt", cache_dir=work / "cache-bob2", token=OTHER_TOKEN)
        expect(Path(p).read_bytes() == b"secret\n", "bob download differs")
        expect(private_id in [m.id for m in bob.list_models(author=ns)], "not in bob's list once public")
        api.update_repo_settings(private_id, private=True)
        expect(api.model_info(private_id).private is True, "not private again")
        expect_raises(RepositoryNotFoundError, lambda: bob.model_info(private_id))
        return "public -> visible to bob, private -> hidden again"

    # ------------------------------------------------------------------ move and delete
    @check("move_repo")
    def _() -> str:
        api.move_repo(from_id=model_id, to_id=moved_id)
        created.append((moved_id, None))
        info = api.model_info(moved_id)
        expect(info.id == moved_id, f"id {info.id!r}")
        p = hf_hub_download(moved_id, "weights/model.bin", cache_dir=work / "cache-moved", token=TOKEN)
        expect(Path(p).read_bytes() == big, "model.bin differs after the move")
        refs = api.list_repo_refs(moved_id)
        expect({b.name for b in refs.branches} >= {"main", "dev"}, f"branches {refs.branches}")
        expect(moved_id in [m.id for m in api.list_models(author=ns)], "new id not listed")
        expect(model_id not in [m.id for m in api.list_models(author=ns)], "old id still listed")
        return f"{model_id} -> {moved_id}"

    @check("delete_repo")
    def _() -> str:
        for repo_id, repo_type in ((moved_id, None), (dataset_id, "dataset"), (private_id, None)):
            api.delete_repo(repo_id, repo_type=repo_type)
            expect(api.repo_exists(repo_id, repo_type=repo_type) is False, f"{repo_id} still exists")
        expect_raises(RepositoryNotFoundError, lambda: api.delete_repo(moved_id))
        api.delete_repo(moved_id, missing_ok=True)
        expect_raises(RepositoryNotFoundError, lambda: api.model_info(moved_id))
        return "3 repos deleted; missing_ok honoured"


def run_pagination_checks(api: HfApi, work: Path, pages_id: str, created: list[tuple[str, str | None]]) -> None:
    """Listings longer than one page: the client follows absolute `Link: <...>; rel="next"` URLs."""
    n_files = 1030  # more than one page of tree without expand (1000 on the Hub)
    n_commits = 60  # more than one page of commits (50 by default)

    @check("pagination: list_repo_files / list_repo_tree / snapshot_download over several pages")
    def _() -> str:
        api.create_repo(pages_id)
        created.append((pages_id, None))
        local = work / "pages"
        for i in range(n_files):
            (local / f"d{i % 3}" / f"f{i:04d}.txt").parent.mkdir(parents=True, exist_ok=True)
            (local / f"d{i % 3}" / f"f{i:04d}.txt").write_bytes(b"%d\n" % i)
        api.upload_folder(folder_path=local, repo_id=pages_id)
        wanted = {f"d{i % 3}/f{i:04d}.txt" for i in range(n_files)}
        files = api.list_repo_files(pages_id)
        expect(len(files) == len(set(files)), f"duplicates in list_repo_files ({len(files)} entries)")
        expect(wanted <= set(files), f"list_repo_files: {len(wanted - set(files))} missing of {n_files}")
        expanded = list(api.list_repo_tree(pages_id, path_in_repo="d0", expand=True))
        expect(len(expanded) == len({e.path for e in expanded}), "duplicates in list_repo_tree(expand=True)")
        expect(len(expanded) == len([w for w in wanted if w.startswith("d0/")]), f"d0 has {len(expanded)} entries")
        expect(all(e.last_commit is not None for e in expanded), "lastCommit missing on a later page")
        root = Path(snapshot_download(pages_id, cache_dir=work / "cache-pages", token=TOKEN, max_workers=16))
        got = {p.relative_to(root).as_posix() for p in root.rglob("*.txt")}
        expect(got == wanted, f"snapshot has {len(got)} of {n_files} files")
        return f"{len(files)} files, {len(expanded)} entries under d0 with expand=True, snapshot complete"

    @check("pagination: list_repo_commits over several pages")
    def _() -> str:
        for i in range(n_commits):
            api.create_commit(
                pages_id,
                operations=[CommitOperationAdd(path_in_repo="counter.txt", path_or_fileobj=b"%d\n" % i)],
                commit_message=f"count {i}",
            )
        commits = api.list_repo_commits(pages_id)
        ids = [c.commit_id for c in commits]
        expect(len(ids) == len(set(ids)), "duplicate commits across pages")
        titles = [c.title for c in commits]
        expect(titles[: n_commits] == [f"count {i}" for i in reversed(range(n_commits))], f"order: {titles[:5]}…")
        expect(len(commits) >= n_commits + 2, f"{len(commits)} commits")
        api.delete_repo(pages_id)
        return f"{len(commits)} commits, newest first"


def run_community_checks(api: HfApi, bob: HfApi, ns: str, bob_name: str, suffix: str, created: list[tuple[str, str | None]]) -> None:
    """Discussions, pull requests, likes, collections and webhooks through the client's own calls."""
    repo_id = f"{ns}/pycheck-community-{suffix}"
    api.create_repo(repo_id)
    created.append((repo_id, None))
    api.upload_file(path_or_fileobj=b"base\n", path_in_repo="notes.txt", repo_id=repo_id)
    state: dict[str, object] = {}

    @check("discussions: create, comment, edit, hide, rename, close, list")
    def _() -> str:
        d = bob.create_discussion(repo_id, title="Weights question", description="Which **dtype**?")
        expect(d.num >= 1 and not d.is_pull_request and d.status == "open", f"created {d!r}")
        c = api.comment_discussion(repo_id, d.num, "bf16.")
        expect(c.content == "bf16." and c.author == ns, f"comment {c!r}")
        edited = api.edit_discussion_comment(repo_id, d.num, c.id, "bf16, see config.json")
        expect(edited.content == "bf16, see config.json" and edited.edited, f"edited {edited!r}")
        hidden = api.hide_discussion_comment(repo_id, d.num, c.id)
        expect(hidden.hidden, f"hidden {hidden!r}")
        t = bob.rename_discussion(repo_id, d.num, "Weights dtype question")
        expect(t.old_title == "Weights question" and t.new_title == "Weights dtype question", f"rename {t!r}")
        st = api.change_discussion_status(repo_id, d.num, "closed", comment="Answered.")
        expect(st.new_status == "closed", f"status {st!r}")
        details = api.get_discussion_details(repo_id, d.num)
        kinds = [e.type for e in details.events]
        expect(details.status == "closed" and details.title == "Weights dtype question", f"details {details.status} {details.title}")
        expect(kinds.count("comment") >= 2 and "title-change" in kinds and "status-change" in kinds, f"events {kinds}")
        listed = list(api.get_repo_discussions(repo_id))
        expect([x.num for x in listed] == [d.num], f"listed {[x.num for x in listed]}")
        expect(list(api.get_repo_discussions(repo_id, discussion_status="open")) == [], "closed discussion listed as open")
        return f"#{d.num}: {len(details.events)} events"

    @check("pull requests: upload with create_pr, a second commit on refs/pr/N, merge")
    def _() -> str:
        info = bob.upload_file(path_or_fileobj=b"proposed\n", path_in_repo="proposal.txt", repo_id=repo_id, create_pr=True, commit_message="Propose a file")
        expect(info.pr_url is not None and info.pr_num is not None, f"commit info {info!r}")
        revision = info.pr_revision
        expect(revision == f"refs/pr/{info.pr_num}", f"pr_revision {revision!r}")
        bob.upload_file(path_or_fileobj=b"more\n", path_in_repo="more.txt", repo_id=repo_id, revision=revision, commit_message="And another")
        refs = api.list_repo_refs(repo_id, include_pull_requests=True)
        expect(any(r.ref == revision for r in (refs.pull_requests or [])), f"pull_requests {refs.pull_requests}")
        files = api.list_repo_files(repo_id, revision=revision)
        expect({"proposal.txt", "more.txt"} <= set(files), f"files at {revision}: {files}")
        expect("proposal.txt" not in api.list_repo_files(repo_id), "the PR leaked into main before the merge")
        details = api.get_discussion_details(repo_id, info.pr_num)
        expect(details.is_pull_request and details.status == "open", f"{details.status}")
        expect(len([e for e in details.events if e.type == "commit"]) == 2, f"events {[e.type for e in details.events]}")
        expect("proposal.txt" in (details.diff or ""), "no diff")
        expect_raises(HfHubHTTPError, lambda: bob.merge_pull_request(repo_id, info.pr_num))
        api.merge_pull_request(repo_id, info.pr_num, comment="Thanks!")
        merged = api.get_discussion_details(repo_id, info.pr_num)
        expect(merged.status == "merged" and merged.merge_commit_oid, f"merged {merged.status} {merged.merge_commit_oid}")
        expect({"proposal.txt", "more.txt"} <= set(api.list_repo_files(repo_id)), "merge did not reach main")
        draft = api.create_pull_request(repo_id, title="Draft PR", description="empty for now")
        expect(draft.is_pull_request and draft.status == "draft", f"draft {draft.status}")
        state["pr"] = info.pr_num
        return f"PR #{info.pr_num} merged as {merged.merge_commit_oid[:7]}; draft #{draft.num}"

    @check("likes: list_liked_repos, list_repo_likers, unlike")
    def _() -> str:
        r = get_session().post(f"{ENDPOINT}/api/models/{repo_id}/like", headers={"authorization": f"Bearer {OTHER_TOKEN}"})
        hf_raise_for_status(r)
        likes = api.list_liked_repos(bob_name)
        expect(repo_id in likes.models, f"bob's likes {likes.models}")
        likers = [u.username for u in api.list_repo_likers(repo_id)]
        expect(likers == [bob_name], f"likers {likers}")
        expect(api.model_info(repo_id).likes == 1, "likes count")
        bob.unlike(repo_id)
        expect(repo_id not in api.list_liked_repos(bob_name).models, "still liked after unlike")
        expect(api.model_info(repo_id).likes == 0, "likes count after unlike")
        return f"liked and unliked by {bob_name}"

    @check("collections: create, add, note, list, delete")
    def _() -> str:
        col = api.create_collection(title=f"Check collection {suffix}", namespace=ns, description="from the python check")
        expect(col.slug.startswith(f"{ns}/"), f"slug {col.slug}")
        col = api.add_collection_item(col.slug, item_id=repo_id, item_type="model", note="The **base**.")
        expect([i.item_id for i in col.items] == [repo_id] and col.items[0].note == "The **base**.", f"items {col.items}")
        api.update_collection_item(col.slug, col.items[0].item_object_id, note="Base model.")
        col = api.get_collection(col.slug)
        expect(col.items[0].note == "Base model.", f"note {col.items[0].note!r}")
        mine = [c.slug for c in api.list_collections(owner=ns)]
        expect(col.slug in mine, f"list_collections {mine}")
        err = expect_raises(HfHubHTTPError, lambda: bob.add_collection_item(col.slug, item_id=repo_id, item_type="model"))
        expect(status_of(err) in (403, 404), f"bob adding: {status_of(err)}")
        api.delete_collection_item(col.slug, col.items[0].item_object_id)
        expect(api.get_collection(col.slug).items == [], "item not deleted")
        api.delete_collection(col.slug)
        expect_raises(HfHubHTTPError, lambda: api.get_collection(col.slug))
        return col.slug

    @check("webhooks: create, list, disable, enable, update, delete")
    def _() -> str:
        hook = api.create_webhook(url="https://hooks.example.com/orchard", watched=[{"type": "model", "name": repo_id}], domains=["repo", "discussion"], secret="s3cret")
        expect(hook.id and hook.url == "https://hooks.example.com/orchard" and not hook.disabled, f"created {hook}")
        expect([w.name for w in hook.watched] == [repo_id], f"watched {hook.watched}")
        expect(hook.id in [w.id for w in api.list_webhooks()], "not listed")
        expect(hook.id not in [w.id for w in bob.list_webhooks()], "listed for bob")
        expect(api.disable_webhook(hook.id).disabled, "disable")
        expect(not api.enable_webhook(hook.id).disabled, "enable")
        updated = api.update_webhook(hook.id, url="https://hooks.example.com/v2", watched=[{"type": "user", "name": ns}], domains=["repo"])
        expect(updated.url == "https://hooks.example.com/v2" and updated.domains == ["repo"], f"updated {updated}")
        expect_raises(HfHubHTTPError, lambda: bob.get_webhook(hook.id))
        api.delete_webhook(hook.id)
        expect_raises(HfHubHTTPError, lambda: api.get_webhook(hook.id))
        return hook.id


if __name__ == "__main__":
    sys.exit(main())
