"""`make i18n`: regenerate i18n/xero_connector.pot from the code.

Installs the addon on a scratch database, runs Odoo's own export
(`odoo i18n export`: Python `_()` / `_lt()` calls, the engine's `_lt()`
templates included, views, fields, selections), and drops the database.
"""

import shutil
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import devenv


def main():
    python, odoo_addons = devenv.check_odoo()
    db = devenv.check_postgres(python)
    database = f"xero_i18n_{int(time.time())}"
    workdir = Path(tempfile.mkdtemp(prefix="xero_i18n_"))
    config = devenv.write_config(workdir / "odoo.conf", odoo_addons, db, database)
    target = devenv.REPO / "i18n" / f"{devenv.ADDON}.pot"
    target.parent.mkdir(exist_ok=True)
    try:
        install = [python, "-m", "odoo", "server", "-c", config, "-d", database, "-i", devenv.ADDON]
        subprocess.run(
            [*install, "--stop-after-init", "--without-demo=all", "--log-level=warn"], cwd=workdir, check=True
        )
        export = [python, "-m", "odoo", "i18n", "export", "-c", config, "-d", database, "-o", str(target)]
        subprocess.run([*export, devenv.ADDON], cwd=workdir, check=True)
    finally:
        devenv.drop_database(python, db, database)
        shutil.rmtree(workdir, ignore_errors=True)
    print(f"Written {target.relative_to(devenv.REPO)}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
