"""Backup and restore: the PostgreSQL database (pg_dump custom format) plus the uploaded letters.

A backup is a folder with two files:
- `database.dump`: `pg_dump --format=custom`, restored with `pg_restore` into an empty database;
- `storage.tar.gz`: every file of the default storage (referral letters), read through Django's storage
  API, so a bucket configured with django-storages is backed up the same way as the media folder.

`make backup` and `make restore` call the `backup` and `restore` management commands.
"""

from __future__ import annotations

import io
import os
import shutil
import subprocess
import tarfile
from pathlib import Path

from django.core.exceptions import ImproperlyConfigured
from django.core.files.base import ContentFile
from django.core.files.storage import default_storage
from django.db import connections

DATABASE_FILE = "database.dump"
STORAGE_FILE = "storage.tar.gz"


def _pg_env(settings_dict: dict) -> tuple[list[str], dict]:
    """libpq arguments and environment for a Django database (the password never on the command line)."""
    if "postgresql" not in settings_dict["ENGINE"]:
        raise ImproperlyConfigured("Backups need PostgreSQL (DATABASE_URL=postgres://...).")
    env = dict(os.environ)
    if settings_dict.get("PASSWORD"):
        env["PGPASSWORD"] = str(settings_dict["PASSWORD"])
    args = []
    for flag, key in (("--host", "HOST"), ("--port", "PORT"), ("--username", "USER")):
        if settings_dict.get(key):
            args += [flag, str(settings_dict[key])]
    return args, env


def _tool(name: str) -> str:
    path = shutil.which(name)
    if path is None:
        raise ImproperlyConfigured(f"{name} is not installed (apt-get install postgresql-client).")
    return path


def _storage_files(storage, folder=""):
    dirs, files = storage.listdir(folder)
    for name in files:
        yield f"{folder}/{name}" if folder else name
    for name in dirs:
        yield from _storage_files(storage, f"{folder}/{name}" if folder else name)


def backup(*, to: Path, database="default", storage=None) -> dict:
    """Write a backup into the folder `to` (created); return what it holds."""
    storage = storage or default_storage
    to = Path(to)
    to.mkdir(parents=True, exist_ok=True)
    settings_dict = connections[database].settings_dict
    args, env = _pg_env(settings_dict)
    subprocess.run(
        [
            _tool("pg_dump"),
            *args,
            "--format=custom",
            "--no-owner",
            "--file",
            str(to / DATABASE_FILE),
            settings_dict["NAME"],
        ],
        env=env,
        check=True,
    )
    files = 0
    with tarfile.open(to / STORAGE_FILE, "w:gz") as tar:
        if _storage_exists(storage):
            for name in _storage_files(storage):
                with storage.open(name, "rb") as f:
                    data = f.read()
                info = tarfile.TarInfo(name)
                info.size = len(data)
                tar.addfile(info, io.BytesIO(data))
                files += 1
    return {"database": to / DATABASE_FILE, "storage": to / STORAGE_FILE, "files": files}


def _storage_exists(storage) -> bool:
    try:
        storage.listdir("")
    except FileNotFoundError:
        return False
    return True


def restore(*, source: Path, database_settings: dict, storage=None) -> dict:
    """Restore a backup into an empty database (a fresh `createdb`) and the storage; return what it put back."""
    storage = storage or default_storage
    source = Path(source)
    for name in (DATABASE_FILE, STORAGE_FILE):
        if not (source / name).is_file():
            raise FileNotFoundError(f"{source / name} is missing: give the folder that make backup wrote.")
    args, env = _pg_env(database_settings)
    subprocess.run(
        [
            _tool("pg_restore"),
            *args,
            "--no-owner",
            "--exit-on-error",
            "--dbname",
            database_settings["NAME"],
            str(source / DATABASE_FILE),
        ],
        env=env,
        check=True,
    )
    files = 0
    with tarfile.open(source / STORAGE_FILE, "r:gz") as tar:
        for member in tar.getmembers():
            if not member.isfile() or member.name.startswith("/") or ".." in Path(member.name).parts:
                continue
            data = tar.extractfile(member).read()
            if storage.exists(member.name):
                storage.delete(member.name)
            storage.save(member.name, ContentFile(data))
            files += 1
    return {"files": files}
