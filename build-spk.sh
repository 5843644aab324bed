#!/usr/bin/env bash
# Builds the DSM package (dist/photosd-<version>-<arch>.spk). The packaging issue builds this; until then it
# only says so, and fails, so nothing mistakes it for a package.
echo "build-spk.sh: not built yet (the .spk is the packaging issue's work)" >&2
exit 1
