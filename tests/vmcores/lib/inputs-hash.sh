#!/bin/bash
# inputs-hash.sh: one hash over everything that goes into the guest (module,
# guest programs, /init, the initrd builder).  A build whose recorded hash
# differs is rebuilt by setup.sh.  (Published runs are keyed on TESTBED_VERSION
# in setup.sh instead, so that an edit of a comment does not force a full
# re-run of every scenario.)
set -euo pipefail
SRC=$(cd "$(dirname "$0")/.." && pwd)
cd "$SRC"
cat module/vmlab.c module/Kbuild guest/init guest/vmlab-load.c guest/vmlab-trigger.c \
    lib/build-initrd.sh lib/moddeps.py | sha256sum | cut -d' ' -f1
