"""Where a spec comes from: the shipped ``spec`` package, an installed package, or a user's own file.

A configuration's ``spec = "..."`` (or ``napi-check verify --spec ...``) is resolved in this order:

1. the name of a shipped spec (``"linux"``) or of a spec an installed package registers in the
   entry-point group :data:`ENTRY_POINT_GROUP` (``napi_check.specs``);
2. a file, when the reference ends in ``.py`` or contains a path separator: relative to the
   configuration's folder (``"specs/mydriver.py"``), or absolute;
3. a module of an installed package, when it contains a dot (``"mypkg.napi_spec"``).

What a spec module or file exports: ``SPEC`` (a :class:`~checker.lang.system.SpecDef`), or ``SPECS`` (a
sequence of them). A reference may pick one by name with a ``:NAME`` suffix (``"specs/variants.py:old_complete"``);
without one, the module must export exactly one spec. An entry point names either a SpecDef
(``mypkg.napi_spec:SPEC``) or a module exporting ``SPEC``/``SPECS``.

A user file is loaded under a module name unique to its absolute path, so two user specs with the
same file name never see each other. While it loads (and while its ``build`` runs), its folder is on
``sys.path``: it may ``import common`` from a file next to it, and ``from spec.linux import ...`` from
the shipped specs. Modules imported from its folder are taken out of ``sys.modules`` afterwards (the
spec keeps its references), so another user spec's ``common.py`` is its own.

Every user spec carries a :class:`SpecSource`: its file (or module), the user files it imported and
the sha256 of their text, recorded in trace files so that ``napi-check replay`` finds the spec again
and notices when it changed. An exception raised while loading or building a user spec becomes a
:class:`SpecLoadError` naming the innermost line of the user's own code (``file:line: message``).
"""

from __future__ import annotations

import hashlib
import importlib
import importlib.metadata
import importlib.util
import os
import re
import sys
import traceback
from collections.abc import Iterator, Mapping
from contextlib import contextmanager
from dataclasses import dataclass, field, fields, replace
from pathlib import Path
from types import ModuleType
from typing import Any

from checker.lang.expr import ModelError
from checker.lang.system import SpecDef, System

ENTRY_POINT_GROUP = "napi_check.specs"


class SpecLoadError(ValueError):
    """A spec that cannot be found, loaded or built; ``where`` is ``file:line`` in the user's code when known."""

    def __init__(self, message: str, where: str = "", doing: str = "", known: list[str] | None = None) -> None:
        self.message = message
        self.where = where
        self.doing = doing  # what napi-check was doing: "loading specs/x.py", "building spec 'x'"
        self.known = known or []  # an unknown spec name: the names there are (for a nearest-name hint)
        text = f"{message} ({doing})" if doing else message
        super().__init__(f"{where}: {text}" if where else text)


class SpecMissingError(SpecLoadError):
    """The spec a trace was written against is no longer where the trace says (moved, deleted, uninstalled)."""


@dataclass(frozen=True)
class SpecSource:
    """Where a loaded spec came from, and a hash of its source."""

    kind: str  # "file", "module" or "entry_point"
    ref: str  # as the user wrote it: a name, a path, a module, an entry-point name
    name: str = ""  # the SpecDef's name (the ``:NAME`` picked, or the only one)
    path: Path | None = None  # file: the spec file; module / entry point: the module's file
    module: str = ""  # module / entry point: the module imported
    files: tuple[Path, ...] = ()  # the user files hashed (the spec file first)
    sha256: str = ""
    roots: tuple[Path, ...] = ()  # folders holding the user's code (for error locations)
    distribution: str = ""  # module / entry point: the installed distribution providing it, "name version"

    def to_json(self, relative_to: Path | None = None) -> dict[str, Any]:
        """The ``#meta.spec_source`` of a trace file written into ``relative_to``."""
        out: dict[str, Any] = {"kind": self.kind, "ref": self.ref, "name": self.name}
        if self.path is not None:
            out["absolute"] = str(self.path)
            rel = _relative(self.path, relative_to) if self.kind == "file" else None
            if rel is not None:
                out["path"] = rel
        if self.module:
            out["module"] = self.module
        if self.distribution:
            out["distribution"] = self.distribution
        if self.sha256:
            out["sha256"] = self.sha256
            base = self.path.parent if self.path is not None else None
            out["files"] = [_relative(f, base) or str(f) for f in self.files]
        return out


@dataclass
class LoadedSpec(SpecDef):
    """A SpecDef from outside the shipped package, wrapping the one the user's code exports: building it
    reports errors at the user's file and line, and the System remembers its source. Anything else is the
    wrapped spec's (its own ``instantiate`` and attributes, should it be a subclass of SpecDef)."""

    source: SpecSource | None = field(default=None, compare=False)
    inner: SpecDef | None = field(default=None, compare=False, repr=False)

    def __getattr__(self, name: str) -> Any:  # only called for attributes a SpecDef does not have
        inner = self.__dict__.get("inner")
        if inner is None or name.startswith("__"):
            raise AttributeError(name)
        return getattr(inner, name)

    def instantiate(self, values: Mapping[str, Any] | None = None) -> System:
        src = self.source
        with _user_path(src):
            try:
                system = self.inner.instantiate(values) if self.inner is not None else super().instantiate(values)
            except SpecLoadError:
                raise
            except Exception as err:  # any mistake in user code becomes file:line: message
                raise user_error(err, src, f"building spec {self.name!r}") from err
        system.spec_source = src  # type: ignore[attr-defined]  # recorded in trace files (checker.trace.itf)
        return system


# ---------------------------------------------------------------- registry


def builtin_specs() -> dict[str, SpecDef]:
    """The specs shipped in the ``spec`` package."""
    from spec import registry

    return registry()


def entry_points() -> dict[str, importlib.metadata.EntryPoint]:
    """The entry points of :data:`ENTRY_POINT_GROUP`, by name."""
    return {ep.name: ep for ep in importlib.metadata.entry_points(group=ENTRY_POINT_GROUP)}


def load_entry_point(ep: importlib.metadata.EntryPoint) -> SpecDef:
    """The spec an entry point registers (a SpecDef, or a module exporting SPEC/SPECS)."""
    mod_name = ep.value.split(":", 1)[0].strip()
    try:
        obj = ep.load()
    except Exception as err:
        raise _import_error(err, _package_source(mod_name), f"entry point {ep.name!r} ({ep.value})") from err
    module = sys.modules.get(mod_name)
    if isinstance(obj, ModuleType):
        spec = _pick(obj, ep.name, f"entry point {ep.name!r} ({ep.value})", allow_name_mismatch=True)
    elif isinstance(obj, SpecDef):
        spec = obj
    else:
        raise SpecLoadError(f"entry point {ep.name!r} ({ep.value}) is a {type(obj).__name__}, not a SpecDef or a module")
    src = _module_source("entry_point", ep.name, spec.name, module)
    if ep.dist is not None:
        src = replace(src, distribution=f"{ep.dist.name} {ep.dist.version}")
    return _wrap(spec, src)


def all_specs(errors: dict[str, str] | None = None) -> dict[str, SpecDef]:
    """Shipped specs and those of installed packages' entry points (which do not replace shipped ones).

    An entry point that fails to load is left out; its error goes to ``errors`` when given.
    """
    out = builtin_specs()
    for name, ep in sorted(entry_points().items()):
        if name in out:
            if errors is not None:
                errors[name] = f"entry point {ep.value} ignored: a shipped spec has this name"
            continue
        try:
            out[name] = load_entry_point(ep)
        except SpecLoadError as err:
            if errors is not None:
                errors[name] = str(err)
    return out


def is_path_ref(ref: str) -> bool:
    """Whether a spec reference names a file (``x.py``, ``specs/x.py``, ``x.py:NAME``)."""
    target = _split_select(ref)[0]
    return target.endswith(".py") or "/" in target or os.sep in target


def resolve_spec(ref: str, base: Path, specs: Mapping[str, SpecDef]) -> SpecDef:
    """The spec a reference names; ``base`` is the folder relative file references start from.

    ``specs`` are the names known without importing (shipped specs); entry points are loaded on
    demand. Raises :class:`SpecLoadError`.
    """
    if ref in specs:
        return specs[ref]
    if not is_path_ref(ref):
        eps = entry_points()
        if ref in eps:
            return load_entry_point(eps[ref])
    target, select = _split_select(ref)
    if is_path_ref(ref):
        path = Path(target).expanduser()
        return load_file_spec(path if path.is_absolute() else base / path, select, ref)
    if "." in target:
        return load_module_spec(target, select, ref)
    if (base / f"{target}.py").is_file():
        raise SpecLoadError(f"unknown spec {ref!r}; did you mean the file next to the configuration, "
                            f"spec = \"{target}.py\"?")
    known = sorted(set(specs) | set(entry_points()))
    from checker.input_errors import nearest

    close = nearest(ref, known)
    if close:
        raise SpecLoadError(f"unknown spec {ref!r} (did you mean {close!r}?)")
    raise SpecLoadError(f"unknown spec {ref!r} (known: {', '.join(known)}; or a file \"specs/x.py\", "
                        "or a module \"pkg.mod\")", known=known)


# ---------------------------------------------------------------- user files and modules

_FILE_MODULES: dict[tuple[Path, str], tuple[ModuleType, tuple[Path, ...], str]] = {}
_FILE_SPECS: dict[tuple[Path, str, str, str], LoadedSpec] = {}


def load_file_spec(path: Path, select: str | None = None, ref: str | None = None, lenient: bool = False) -> LoadedSpec:
    """Load a spec from a user's Python file (see the module docstring); ``lenient``: a file exporting one
    spec gives it whatever ``select`` says (a trace's spec renamed since)."""
    path = path.resolve()
    shown = display_path(path)
    if not path.is_file():
        raise SpecLoadError(f"no such spec file {shown}")
    try:
        text = path.read_bytes()
    except OSError as err:
        raise SpecLoadError(f"cannot read spec file {shown}: {err.strerror}") from None
    mkey = (path, hashlib.sha256(text).hexdigest())
    roots = (path.parent,)
    if mkey not in _FILE_MODULES or _hash_files(_FILE_MODULES[mkey][1]) != _FILE_MODULES[mkey][2]:
        _FILE_MODULES[mkey] = _exec_user_file(path, shown, roots, ref)  # new, or a file it imports changed
    module, files, digest = _FILE_MODULES[mkey]
    spec = _pick(module, select, shown, allow_name_mismatch=lenient)
    skey = (*mkey, digest, spec.name)
    if skey not in _FILE_SPECS:
        _FILE_SPECS[skey] = _wrap(spec, SpecSource("file", ref or str(path), spec.name, path, "", files, digest, roots))
    return _FILE_SPECS[skey]


def _exec_user_file(path: Path, shown: str, roots: tuple[Path, ...], ref: str | None
                    ) -> tuple[ModuleType, tuple[Path, ...], str]:
    """Run a user's spec file as a module of its own name; return it, the user files it imported, their hash."""
    modname = f"napi_check_user_{re.sub(r'[^0-9A-Za-z_]', '_', path.stem)}_{hashlib.sha1(str(path).encode()).hexdigest()[:12]}"
    src0 = SpecSource("file", ref or str(path), path=path, files=(path,), roots=roots)
    imp = importlib.util.spec_from_file_location(modname, path)
    if imp is None or imp.loader is None:
        raise SpecLoadError(f"cannot load {shown} as Python")
    module = importlib.util.module_from_spec(imp)
    sys.modules[modname] = module  # dataclasses and pickling look modules up by name
    with _user_path(src0), _capture_user_modules(roots) as added:
        try:
            imp.loader.exec_module(module)
        except Exception as err:
            del sys.modules[modname]
            raise _import_error(err, src0, f"loading {shown}") from err
    files = (path, *sorted(p for p in added if p != path))
    return module, files, _hash_files(files)


def load_module_spec(module_name: str, select: str | None = None, ref: str | None = None,
                     lenient: bool = False) -> LoadedSpec:
    """Load a spec from a module of an installed package (``mypkg.napi_spec``)."""
    try:
        module = importlib.import_module(module_name)
    except ModuleNotFoundError as err:
        if err.name and module_name.startswith(err.name):
            raise SpecLoadError(f"unknown spec {module_name!r}: no such file, shipped spec or importable module") from None
        raise _import_error(err, _package_source(module_name), f"importing {module_name}") from err
    except Exception as err:
        raise _import_error(err, _package_source(module_name), f"importing {module_name}") from err
    spec = _pick(module, select, module_name, allow_name_mismatch=lenient)
    return _wrap(spec, _module_source("module", ref or module_name, spec.name, module))


def _module_source(kind: str, ref: str, name: str, module: ModuleType | None) -> SpecSource:
    """A module's source: its file and the other modules of its top-level package loaded by now."""
    file = getattr(module, "__file__", None)
    if module is None or not file:
        return SpecSource(kind, ref, name, module=getattr(module, "__name__", ""))
    path = Path(file).resolve()
    top = sys.modules.get(module.__name__.split(".")[0])
    top_file = getattr(top, "__file__", None)
    root = Path(top_file).resolve().parent if top_file else path.parent
    loaded = {Path(f).resolve() for m in list(sys.modules.values()) if (f := getattr(m, "__file__", None))}
    files = (path, *sorted(p for p in loaded if p != path and _under(p, root)))
    return SpecSource(kind, ref, name, path, module.__name__, files, _hash_files(files), (root,),
                      _distribution(module.__name__.split(".")[0]))


def _package_source(module_name: str) -> SpecSource | None:
    """The folder of a module's top-level package (where its errors are the user's), found without importing it."""
    try:
        found = importlib.util.find_spec(module_name.split(".")[0])
    except (ImportError, ValueError):
        return None
    if found is None:
        return None
    places = list(found.submodule_search_locations or ()) or ([str(Path(found.origin).parent)] if found.origin else [])
    return SpecSource("module", module_name, module=module_name, roots=tuple(Path(p).resolve() for p in places))


def _distribution(top_module: str) -> str:
    """``"name version"`` of the installed distribution providing a top-level module, or ""."""
    for dist in importlib.metadata.packages_distributions().get(top_module, ()):
        try:
            return f"{dist} {importlib.metadata.version(dist)}"
        except importlib.metadata.PackageNotFoundError:
            continue
    return ""


def _wrap(spec: SpecDef, src: SpecSource) -> LoadedSpec:
    base = {f.name: getattr(spec, f.name) for f in fields(SpecDef)}
    return LoadedSpec(**base, source=src, inner=spec)


def _pick(module: ModuleType, select: str | None, what: str, allow_name_mismatch: bool = False) -> SpecDef:
    """The SpecDef a module exports (``SPEC`` or ``SPECS``), by name when ``select`` is given."""
    found: list[SpecDef] = []
    single = getattr(module, "SPEC", None)
    if single is not None:
        if not isinstance(single, SpecDef):
            raise SpecLoadError(f"{what}: SPEC must be a checker.lang.SpecDef, got {type(single).__name__}")
        found.append(single)
    for s in getattr(module, "SPECS", ()):
        if not isinstance(s, SpecDef):
            raise SpecLoadError(f"{what}: SPECS must hold checker.lang.SpecDef values, got {type(s).__name__}")
        if s not in found:
            found.append(s)
    if not found:
        raise SpecLoadError(f"{what} defines no spec: it must export SPEC = SpecDef(...) (or SPECS = [...])")
    if select:
        for s in found:
            if s.name == select:
                return s
        if allow_name_mismatch and len(found) == 1:
            return found[0]
        raise SpecLoadError(f"{what} has no spec named {select!r} (it has: {', '.join(s.name for s in found)})")
    if len(found) > 1:
        raise SpecLoadError(f"{what} exports several specs ({', '.join(s.name for s in found)}): "
                            f"pick one with \"{what}:NAME\"")
    return found[0]


def _split_select(ref: str) -> tuple[str, str | None]:
    """``"x.py:NAME"`` -> (``"x.py"``, ``"NAME"``); a drive letter (``C:\\``) is not a selector."""
    head, sep, tail = ref.rpartition(":")
    if sep and head and tail.isidentifier() and len(head) > 1:
        return head, tail
    return ref, None


# ---------------------------------------------------------------- import path and module bookkeeping


@contextmanager
def _user_path(src: SpecSource | None) -> Iterator[None]:
    """The user spec's folder first on ``sys.path`` (its sibling files importable) for the duration."""
    if src is None or src.kind != "file" or src.path is None:
        yield
        return
    folder = str(src.path.parent)
    sys.path.insert(0, folder)
    try:
        with _capture_user_modules(src.roots):
            yield
    finally:
        try:
            sys.path.remove(folder)
        except ValueError:
            pass


@contextmanager
def _capture_user_modules(roots: tuple[Path, ...]) -> Iterator[list[Path]]:
    """Collect the files of the user's modules imported meanwhile: those from under ``roots`` are forgotten
    again (so that another user spec's module of the same name is imported afresh); those from elsewhere
    (another folder on PYTHONPATH) are kept, and collected unless they are napi-check's, the standard
    library's or an installed package's."""
    before = set(sys.modules)
    added: list[Path] = []
    try:
        yield added
    finally:
        for name in set(sys.modules) - before:
            file = getattr(sys.modules[name], "__file__", None)
            if not file:
                continue
            p = Path(file).resolve()
            if _is_environment_file(p):
                continue
            added.append(p)
            if any(_under(p, r) for r in roots) and not name.startswith("napi_check_user_"):
                del sys.modules[name]


def _shipped_roots() -> tuple[Path, ...]:
    import checker
    import spec

    return tuple(Path(m.__file__).resolve().parent for m in (checker, spec) if m.__file__)


def _is_shipped(p: Path) -> bool:
    return any(_under(p, r) for r in _shipped_roots())


def _is_environment_file(p: Path) -> bool:
    """napi-check itself, the standard library and installed packages: not a user's spec file."""
    s = str(p)
    return (_is_shipped(p) or "site-packages" in s or "dist-packages" in s
            or s.startswith((os.path.realpath(sys.base_prefix), os.path.realpath(sys.prefix))))


def _under(p: Path, root: Path) -> bool:
    return p == root or root in p.parents


def _hash_files(files: tuple[Path, ...]) -> str:
    """sha256 over the files' names (relative to the first one's folder) and contents."""
    h = hashlib.sha256()
    base = files[0].parent if files else None
    for f in files:
        h.update((_relative(f, base) or str(f)).encode() + b"\0")
        try:
            h.update(f.read_bytes())
        except OSError:
            h.update(b"<unreadable>")
        h.update(b"\0")
    return h.hexdigest()


def _relative(p: Path, base: Path | None) -> str | None:
    if base is None:
        return None
    try:
        return os.path.relpath(p, base.resolve()).replace(os.sep, "/")
    except ValueError:  # another drive
        return None


def display_path(p: Path) -> str:
    """A path as the user would type it: relative to the working folder when under it."""
    try:
        return str(p.resolve().relative_to(Path.cwd().resolve()))
    except ValueError:
        return str(p)


# ---------------------------------------------------------------- errors in user code


def user_frame(err: BaseException, src: SpecSource | None) -> tuple[str, int] | None:
    """The innermost frame of the exception's traceback in the user's code: (file, line)."""
    roots = src.roots if src is not None else ()
    best: tuple[str, int] | None = None
    for fr in traceback.extract_tb(err.__traceback__):
        if fr.lineno is None or fr.filename.startswith("<"):  # <frozen importlib._bootstrap>, exec'd strings
            continue
        p = Path(fr.filename).resolve()
        if not _is_shipped(p) and (any(_under(p, r) for r in roots) or not _is_environment_file(p)):
            best = (fr.filename, fr.lineno)
    return best


def user_error(err: BaseException, src: SpecSource | None, doing: str) -> SpecLoadError:
    """``file:line: message`` for an exception raised by user code (or at the spec itself when no frame is)."""
    msg = str(err) if isinstance(err, ModelError) else f"{type(err).__name__}: {err}"
    where = getattr(err, "where", "") if isinstance(err, ModelError) else ""
    if where:  # found after the user's code returned (System.finish): the declaration's file:line
        path, _, line = where.rpartition(":")
        return SpecLoadError(msg, f"{display_path(Path(path))}:{line}", doing)
    frame = user_frame(err, src)
    if frame is not None:
        return SpecLoadError(msg, f"{display_path(Path(frame[0]))}:{frame[1]}", doing)
    where = display_path(src.path) if src is not None and src.path is not None else ""
    return SpecLoadError(msg, where, doing)


def _import_error(err: BaseException, src: SpecSource | None, doing: str) -> SpecLoadError:
    if isinstance(err, SyntaxError) and err.filename:
        return SpecLoadError(f"SyntaxError: {err.msg}", f"{display_path(Path(err.filename))}:{err.lineno}", doing)
    return user_error(err, src, doing)


# ---------------------------------------------------------------- finding a trace's spec again


def spec_for_trace(meta: Mapping[str, Any], trace_path: Path, specs: Mapping[str, SpecDef],
                   override: Path | None = None) -> tuple[SpecDef, str | None]:
    """The spec a trace file was written against, and a warning when its source changed since.

    ``meta`` is the trace's top-level ``#meta``; ``override`` a spec file given on the command line
    (the file moved). Raises :class:`SpecMissingError` when the recorded file or module is gone.
    """
    name = str(meta.get("spec", ""))
    recorded = meta.get("spec_source")
    if override is not None:
        spec = load_file_spec(override, name or None, lenient=True)
        return spec, _changed(recorded, spec, f"spec file {display_path(override)}")
    if not isinstance(recorded, dict) or recorded.get("kind") in (None, "builtin"):
        if name in specs:
            return specs[name], None
        eps = entry_points()
        if name in eps:
            return load_entry_point(eps[name]), None
        raise SpecMissingError(f"unknown spec {name!r}: the trace does not record where it came from")
    kind = recorded["kind"]
    select = recorded.get("name") or None
    if kind == "file":
        candidates = []
        if recorded.get("path"):
            candidates.append((trace_path.parent / recorded["path"]).resolve())
        if recorded.get("absolute"):
            candidates.append(Path(recorded["absolute"]))
        found = next((c for c in candidates if c.is_file()), None)
        if found is None:
            rel = f" (nor {recorded['path']} from the trace's folder)" if recorded.get("path") else ""
            raise SpecMissingError(f"spec file {recorded.get('absolute')} not found{rel}: moved or deleted? "
                                   "name its new place with --spec FILE")
        spec = load_file_spec(found, select, recorded.get("ref"), lenient=True)
        return spec, _changed(recorded, spec, f"spec file {display_path(found)}")
    if kind == "entry_point":
        eps = entry_points()
        ref = recorded.get("ref", name)
        if ref not in eps:
            raise SpecMissingError(f"spec {name!r} came from entry point {ref!r} ({ENTRY_POINT_GROUP}), "
                                   "which no installed package provides now")
        spec = load_entry_point(eps[ref])
        return spec, _changed(recorded, spec, f"spec {name!r} (entry point {ref})")
    if kind == "module":
        module = recorded.get("module") or recorded.get("ref", "")
        try:
            spec = load_module_spec(module, select, recorded.get("ref"), lenient=True)
        except SpecLoadError as err:
            raise SpecMissingError(f"spec module {module!r} cannot be loaded: {err}") from None
        return spec, _changed(recorded, spec, f"spec module {module}")
    raise SpecMissingError(f"#meta.spec_source has an unknown kind {kind!r}")


def _changed(recorded: Any, spec: SpecDef, what: str) -> str | None:
    if not isinstance(recorded, dict) or not recorded.get("sha256"):
        return None
    src = getattr(spec, "source", None)
    now = src.sha256 if isinstance(src, SpecSource) else ""
    if now and now != recorded["sha256"]:
        return (f"{what} changed since the trace was written (sha256 {recorded['sha256'][:12]} -> {now[:12]}): "
                "replaying on the current version")
    return None
