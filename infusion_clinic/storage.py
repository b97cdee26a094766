"""Where uploaded files live, from the environment: the local disk by default, an S3-compatible
bucket (AWS S3, MinIO, Ceph, ...) through django-storages when AWS_STORAGE_BUCKET_NAME is set, so
that several web servers share one store. README.md lists the variables."""

from collections.abc import Mapping

S3_BACKEND = "storages.backends.s3.S3Storage"
FILESYSTEM_BACKEND = "django.core.files.storage.FileSystemStorage"

# environment variable -> S3Storage option, passed only when set (else boto3's own defaults and
# credential chain apply, e.g. an instance role).
_S3_OPTIONS = {
    "AWS_S3_ENDPOINT_URL": "endpoint_url",
    "AWS_S3_REGION_NAME": "region_name",
    "AWS_ACCESS_KEY_ID": "access_key",
    "AWS_SECRET_ACCESS_KEY": "secret_key",
    "AWS_S3_ADDRESSING_STYLE": "addressing_style",
}


def default_storage_from_env(environ: Mapping[str, str]) -> dict:
    """The STORAGES["default"] entry for this environment."""
    bucket = environ.get("AWS_STORAGE_BUCKET_NAME", "").strip()
    if not bucket:
        return {"BACKEND": FILESYSTEM_BACKEND}
    options = {
        "bucket_name": bucket,
        "location": environ.get("AWS_LOCATION", "media").strip("/"),
        # Letters are private: no public ACL (the bucket's own, private, applies), never a public URL,
        # never an overwrite of another letter with the same name.
        "default_acl": None,
        "querystring_auth": True,
        "file_overwrite": False,
    }
    for variable, option in _S3_OPTIONS.items():
        if environ.get(variable):
            options[option] = environ[variable]
    return {"BACKEND": S3_BACKEND, "OPTIONS": options}
