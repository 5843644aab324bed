#!/usr/bin/env python3
"""Plays DSM's Package Center for tests: installs, starts, stops, upgrades and uninstalls a photosd .spk in a
temporary root laid out like DSM 7 (/var/packages/photosd/{target,var,etc}, /var/services/homes, the photo
share), running each lifecycle script as the package user with the SYNOPKG_* variables DSM sets.

    package_center.py ROOT install SPK [wizard_key=value ...]
    package_center.py ROOT start|stop|status
    package_center.py ROOT upgrade SPK
    package_center.py ROOT uninstall [wizard_delete_data=true]

Each action prints what the scripts wrote for the user (SYNOPKG_TEMP_LOGFILE) and exits with the status of the
script that decided it (status: 0 running, 3 stopped). Run as root: it changes owners and becomes the package
user. The daemon's spaces are the simulated ones (PHOTOSD_SPACES_* in the environment of start).
"""
import hashlib
import json
import os
import pwd
import shutil
import subprocess
import sys
import tarfile
import tempfile

PACKAGE = "photosd"


def pkg(root):
    return os.path.join(root, "var", "packages", PACKAGE)


def package_user(extracted):
    with open(os.path.join(extracted, "conf", "privilege")) as f:
        privilege = json.load(f)
    assert privilege["defaults"]["run-as"] == "package", "DSM 7 packages run as their package user"
    return privilege.get("username", PACKAGE)


def info(path):
    fields = {}
    with open(path) as f:
        for line in f:
            key, _, value = line.strip().partition("=")
            fields[key] = value.strip('"')
    return fields


def unpack(spk, into):
    """Unpacks the .spk and checks INFO's checksum against package.tgz, as Package Center does."""
    with tarfile.open(spk) as tar:
        tar.extractall(into, filter="tar")
    fields = info(os.path.join(into, "INFO"))
    with open(os.path.join(into, "package.tgz"), "rb") as f:
        digest = hashlib.md5(f.read()).hexdigest()
    if digest != fields["checksum"]:
        sys.exit(f"package_center: INFO checksum {fields['checksum']} is not package.tgz's md5 {digest}")
    return fields


def script_env(root, status, extra=None):
    """The variables DSM sets for a lifecycle script (and the PHOTOSD_* overrides of the test)."""
    base = pkg(root)
    env = {
        "PATH": "/usr/sbin:/usr/bin:/sbin:/bin",
        "SYNOPKG_PKGNAME": PACKAGE,
        "SYNOPKG_PKGVER": info(os.path.join(base, "INFO"))["version"],
        "SYNOPKG_PKGDEST": os.path.join(base, "target"),
        "SYNOPKG_PKGDEST_VOL": root,
        "SYNOPKG_PKGVAR": os.path.join(base, "var"),
        "SYNOPKG_PKGHOME": os.path.join(base, "home"),
        "SYNOPKG_PKG_STATUS": status,
        "SYNOPKG_DSM_VERSION_MAJOR": "7",
        "SYNOPKG_DSM_VERSION_MINOR": "2",
        "SYNOPKG_DSM_ARCH": os.uname().machine,
    }
    env.update({k: v for k, v in os.environ.items() if k.startswith("PHOTOSD_")})
    env.update(extra or {})
    return env


def as_user(user, env, *command):
    """Runs a command as the package user with exactly `env`; returns its exit code."""
    pairs = [f"{k}={v}" for k, v in env.items()]
    return subprocess.run(["runuser", "-u", user, "--", "env", "-i", *pairs, *command], cwd="/").returncode


def run_script(root, name, user, status, extra=None, scripts=None):
    """Runs one lifecycle script as the package user; returns (exit code, what it wrote for the user)."""
    path = os.path.join(scripts or os.path.join(pkg(root), "scripts"), name)
    with tempfile.NamedTemporaryFile(mode="r", prefix="synopkg-", delete=False) as log:
        log_path = log.name
    entry = pwd.getpwnam(user)
    os.chown(log_path, entry.pw_uid, entry.pw_gid)
    env = script_env(root, status, extra)
    env["SYNOPKG_TEMP_LOGFILE"] = log_path
    code = as_user(user, env, "/bin/sh", path)
    with open(log_path) as f:
        said = f.read()
    os.unlink(log_path)
    return code, said


def run_script_action(root, action, user):
    """start-stop-status with one action; returns its exit code."""
    path = os.path.join(pkg(root), "scripts", "start-stop-status")
    return as_user(user, script_env(root, action.upper()), "/bin/sh", path, action)


def chown_tree(path, user):
    entry = pwd.getpwnam(user)
    for dirpath, dirnames, filenames in os.walk(path):
        for name in [dirpath, *[os.path.join(dirpath, n) for n in dirnames + filenames]]:
            os.lchown(name, entry.pw_uid, entry.pw_gid)


def place(root, extracted):
    """Puts an unpacked package where DSM does: target from package.tgz, scripts, conf, INFO."""
    base = pkg(root)
    target = os.path.join(base, "target")
    shutil.rmtree(target, ignore_errors=True)
    os.makedirs(target)
    with tarfile.open(os.path.join(extracted, "package.tgz")) as tar:
        tar.extractall(target, filter="tar")
    for name in ["scripts", "conf", "WIZARD_UIFILES"]:
        shutil.rmtree(os.path.join(base, name), ignore_errors=True)
        shutil.copytree(os.path.join(extracted, name), os.path.join(base, name))
    shutil.copy(os.path.join(extracted, "INFO"), os.path.join(base, "INFO"))
    for name in ["var", "etc", "home"]:
        os.makedirs(os.path.join(base, name), exist_ok=True)


def wizard(args):
    return dict(a.split("=", 1) for a in args)


def main():
    root, action, rest = sys.argv[1], sys.argv[2], sys.argv[3:]
    base = pkg(root)
    said = []

    def step(name, status, extra=None, scripts=None, user=None):
        code, text = run_script(root, name, user or package_user(base), status, extra, scripts)
        said.append(text)
        if code != 0:
            print("".join(said), end="")
            sys.exit(f"package_center: {name} failed with {code}")

    if action == "install":
        with tempfile.TemporaryDirectory() as extracted:
            unpack(rest[0], extracted)
            user = package_user(extracted)
            place(root, extracted)
            chown_tree(base, user)
            for name in ["preinst", "postinst"]:
                step(name, "INSTALL", wizard(rest[1:]), user=user)
    elif action == "upgrade":
        with tempfile.TemporaryDirectory() as extracted:
            unpack(rest[0], extracted)
            user = package_user(extracted)
            os.chmod(extracted, 0o755)
            chown_tree(extracted, user)
            run_script_action(root, "stop", user)
            step("preupgrade", "UPGRADE", scripts=os.path.join(extracted, "scripts"), user=user)
            step("preuninst", "UPGRADE", user=user)
            step("postuninst", "UPGRADE", user=user)
            place(root, extracted)
            chown_tree(base, user)
            for name in ["preinst", "postinst", "postupgrade"]:
                step(name, "UPGRADE", user=user)
    elif action == "uninstall":
        user = package_user(base)
        run_script_action(root, "stop", user)
        step("preuninst", "UNINSTALL", wizard(rest), user=user)
        # DSM removes the package's files between the two uninstall scripts; the scripts run from a copy.
        with tempfile.TemporaryDirectory() as kept:
            os.chmod(kept, 0o755)
            shutil.copytree(os.path.join(base, "scripts"), os.path.join(kept, "scripts"))
            chown_tree(kept, user)
            shutil.rmtree(os.path.join(base, "target"))
            step("postuninst", "UNINSTALL", wizard(rest), scripts=os.path.join(kept, "scripts"), user=user)
        for name in ["scripts", "conf", "WIZARD_UIFILES", "INFO"]:
            path = os.path.join(base, name)
            shutil.rmtree(path, ignore_errors=True) if os.path.isdir(path) else os.path.exists(path) and os.unlink(path)
    elif action in ("start", "stop", "status"):
        sys.exit(run_script_action(root, action, package_user(base)))
    else:
        sys.exit(__doc__)
    print("".join(said), end="")


if __name__ == "__main__":
    main()
