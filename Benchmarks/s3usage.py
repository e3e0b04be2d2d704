#!/usr/bin/env python3
"""s3usage.py: the HTTP requests the S3 gateway served for one bucket, from radosgw's usage log.

    s3usage.py snapshot BUCKET            print the bucket's cumulative counts per operation (JSON)
    s3usage.py size BUCKET                print `BYTES,OBJECTS`: what the bucket holds now
                                          (radosgw-admin bucket stats; bytes as uploaded)
    s3usage.py diff BEFORE AFTER DETAILS  print `put,get,head,list,delete,other` between two
                                          snapshots; write every operation's count to DETAILS

The gateway must log usage (`rgw enable usage log = true`, as Tests/S3/start-ceph.sh sets
it) and flush the log before a snapshot: it writes every `rgw usage log tick interval`
seconds (1 there), so wait two seconds after the last request. `radosgw-admin` finds the
cluster through S3_CEPH_CONF (default $S3_DIR/ceph.conf, S3_DIR default /tmp/cairn-ceph).

radosgw names each operation (put_obj, get_obj, stat_object, list_bucket, delete_obj,
multi_object_delete, ...); they are grouped by HTTP verb:
  put     put_*, copy_obj, post_obj, create_bucket, init_multipart, complete_multipart
  get     get_*
  head    stat_* (HEAD of an object or bucket)
  list    list_*
  delete  delete_*, multi_object_delete (one DeleteObjects request for up to 1000 keys),
          abort_multipart
  other   everything else
"""

import json
import os
import subprocess
import sys

GROUPS = ("put", "get", "head", "list", "delete", "other")


def group(category: str) -> str:
    if category.startswith("put_") or category in ("copy_obj", "post_obj", "create_bucket", "init_multipart",
                                                     "complete_multipart"):
        return "put"
    if category.startswith("delete_") or category in ("multi_object_delete", "abort_multipart"):
        return "delete"
    for prefix, name in (("get_", "get"), ("stat_", "head"), ("list_", "list")):
        if category.startswith(prefix):
            return name
    return "other"


def radosgw_admin(*arguments: str) -> dict:
    """The JSON answer of `radosgw-admin -c CONF ARGUMENTS...`."""
    conf = os.environ.get("S3_CEPH_CONF") or os.path.join(os.environ.get("S3_DIR", "/tmp/cairn-ceph"), "ceph.conf")
    if not os.path.isfile(conf):
        sys.exit(f"s3usage.py: no cluster configuration at '{conf}'; set S3_DIR to the gateway's state folder")
    result = subprocess.run(["radosgw-admin", "-c", conf, *arguments], capture_output=True, text=True, timeout=120)
    if result.returncode != 0:
        sys.exit(f"s3usage.py: radosgw-admin {' '.join(arguments[:2])} failed: {result.stderr.strip()[-300:]}")
    return json.loads(result.stdout)


def size(bucket: str) -> str:
    main = radosgw_admin("bucket", "stats", f"--bucket={bucket}").get("usage", {}).get("rgw.main", {})
    return f"{main.get('size', 0)},{main.get('num_objects', 0)}"


def snapshot(bucket: str) -> dict:
    counts = {}
    for user in radosgw_admin("usage", "show", "--show-log-entries=true").get("entries", []):
        for entry in user.get("buckets", []):
            if entry.get("bucket") != bucket:
                continue
            for category in entry.get("categories", []):
                name = category["category"]
                counts[name] = counts.get(name, 0) + int(category.get("ops", 0))
    return counts


def diff(before_path: str, after_path: str, details_path: str) -> str:
    with open(before_path) as file:
        before = json.load(file)
    with open(after_path) as file:
        after = json.load(file)
    delta = {name: after.get(name, 0) - before.get(name, 0) for name in sorted(after.keys() | before.keys())}
    delta = {name: count for name, count in delta.items() if count}
    with open(details_path, "w") as file:
        json.dump(delta, file, indent=1, sort_keys=True)
        file.write("\n")
    totals = dict.fromkeys(GROUPS, 0)
    for name, count in delta.items():
        totals[group(name)] += count
    return ",".join(str(totals[name]) for name in GROUPS)


def main() -> None:
    if len(sys.argv) == 3 and sys.argv[1] == "snapshot":
        json.dump(snapshot(sys.argv[2]), sys.stdout, sort_keys=True)
        print()
    elif len(sys.argv) == 3 and sys.argv[1] == "size":
        print(size(sys.argv[2]))
    elif len(sys.argv) == 5 and sys.argv[1] == "diff":
        print(diff(*sys.argv[2:]))
    else:
        sys.exit(__doc__)


if __name__ == "__main__":
    main()
