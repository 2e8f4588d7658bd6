"""What `make run`, `make test` and `make bench` share: finding Odoo 19 and
PostgreSQL, the addons path, and plain one-line messages when either is
missing. Settings come from the environment, with defaults that suit a
developer machine:

  ODOO_PYTHON   the Python that can `import odoo` (default: python3)
  PGHOST PGPORT PGUSER PGPASSWORD   the database server and role
                (defaults: 127.0.0.1, 5432, odoo, none)
"""

import hashlib
import json
import os
import subprocess
import sys
import tempfile
from pathlib import Path

REPO = Path(__file__).resolve().parents[1]
ADDON = "xero_connector"


def fail(message):
    print(f"ERROR: {message}", file=sys.stderr, flush=True)
    sys.exit(2)


def odoo_python():
    return os.environ.get("ODOO_PYTHON") or "python3"


def check_odoo():
    """The Odoo 19 installation: (python, list of its addons folders)."""
    python = odoo_python()
    probe = (
        "import json, os, odoo.release as r, odoo;"
        "paths=[os.path.join(p, 'addons') for p in odoo.__path__];"
        "paths+=[os.path.normpath(os.path.join(p, os.pardir, 'addons')) for p in odoo.__path__];"
        "print(json.dumps([r.series, [p for p in paths if os.path.isdir(p)]]))"
    )
    try:
        out = subprocess.run([python, "-c", probe], capture_output=True, text=True, check=False)
    except FileNotFoundError:
        fail(f"'{python}' was not found. Set ODOO_PYTHON to the Python that has Odoo 19 installed.")
    if out.returncode != 0:
        fail(
            f"Odoo 19 is not importable by '{python}'. Install Odoo 19.0 as Odoo documents "
            "(https://www.odoo.com/documentation/19.0/administration/on_premise/source.html), "
            "or set ODOO_PYTHON to the Python that can 'import odoo'."
        )
    series, paths = json.loads(out.stdout.strip().splitlines()[-1])
    if series != "19.0":
        fail(f"'{python}' imports Odoo {series}, but this addon needs Odoo 19.0.")
    return python, paths


def ensure_packages(python, modules, requirements):
    """Install the missing PyPI packages (one pip call) or stop with one clear line."""
    probe = "import importlib.util as u, sys; print(' '.join(m for m in sys.argv[1:] if not u.find_spec(m)))"
    missing = subprocess.run(
        [python, "-c", probe, *modules], capture_output=True, text=True, check=False
    ).stdout.split()
    if not missing:
        return
    files = [str(REPO / name) for name in requirements]
    print(f"Installing missing Python packages ({', '.join(missing)}) from {', '.join(requirements)}...", flush=True)
    args = [arg for name in files for arg in ("-r", name)]
    done = subprocess.run([python, "-m", "pip", "install", "-q", "--disable-pip-version-check", *args], check=False)
    still = subprocess.run([python, "-c", probe, *missing], capture_output=True, text=True, check=False).stdout.split()
    if done.returncode or still:
        fail(f"Could not install {', '.join(still or missing)}: run '{python} -m pip install {' '.join(args)}'.")


def db_settings():
    return {
        "host": os.environ.get("PGHOST", "127.0.0.1"),
        "port": os.environ.get("PGPORT", "5432"),
        "user": os.environ.get("PGUSER", "odoo"),
        "password": os.environ.get("PGPASSWORD", ""),
    }


def check_postgres(python):
    """Fail with one line unless the role can log in and create databases."""
    db = db_settings()
    probe = (
        "import psycopg2, sys;"
        "c=psycopg2.connect(dbname='postgres', host=sys.argv[1], port=sys.argv[2], user=sys.argv[3],"
        " password=sys.argv[4] or None, connect_timeout=5);"
        "cr=c.cursor(); cr.execute('SELECT rolcreatedb OR rolsuper FROM pg_roles WHERE rolname = current_user');"
        "print(cr.fetchone()[0])"
    )
    out = subprocess.run(
        [python, "-c", probe, db["host"], db["port"], db["user"], db["password"]],
        capture_output=True,
        text=True,
        check=False,
    )
    where = f"{db['host']}:{db['port']} as role '{db['user']}'"
    if out.returncode != 0:
        reason = (out.stderr.strip().splitlines() or ["no answer"])[-1]
        fail(
            f"PostgreSQL is not reachable at {where} ({reason}). Start PostgreSQL, or set "
            f"PGHOST/PGPORT/PGUSER/PGPASSWORD; create the role with: createuser --createdb {db['user']}"
        )
    if out.stdout.strip() != "True":
        fail(f"The PostgreSQL role '{db['user']}' cannot create databases: ALTER ROLE {db['user']} CREATEDB;")
    return db


def addons_dir():
    """A folder holding only `xero_connector` -> this repository.

    Odoo finds an addon by its folder name, and a clone may be named anything.
    """
    tag = hashlib.sha1(str(REPO).encode()).hexdigest()[:8]
    folder = Path(tempfile.gettempdir()) / f"xero_connector_addons_{tag}"
    folder.mkdir(exist_ok=True)
    link = folder / ADDON
    if link.is_symlink() and link.resolve() != REPO:
        link.unlink()
    if not link.exists():
        link.symlink_to(REPO)
    return str(folder)


def write_config(path, odoo_addons, db, database, **options):
    """An Odoo configuration file for this database and the addon."""
    values = {
        "addons_path": ",".join([addons_dir(), *odoo_addons]),
        "db_host": db["host"],
        "db_port": db["port"],
        "db_user": db["user"],
        "db_name": database,
        "dbfilter": f"^{database}$",
        "http_interface": "127.0.0.1",
        **options,
    }
    if db["password"]:
        values["db_password"] = db["password"]
    Path(path).write_text("[options]\n" + "".join(f"{k} = {v}\n" for k, v in values.items()))
    return str(path)


def sql(python, db, database, query, *params, autocommit=False):
    """Run one query with the Python that has Odoo (and psycopg2); its rows."""
    script = (
        "import json, psycopg2, sys;"
        "h, p, u, pw, d, q = sys.argv[1:7];"
        "c = psycopg2.connect(dbname=d, host=h, port=p, user=u, password=pw or None);"
        "c.autocommit = sys.argv[7] == '1'; cr = c.cursor(); cr.execute(q, json.loads(sys.argv[8]));"
        "print(json.dumps(cr.fetchall() if cr.description else [], default=str))"
    )
    out = subprocess.run(
        [
            python,
            "-c",
            script,
            db["host"],
            db["port"],
            db["user"],
            db["password"],
            database,
            query,
            "1" if autocommit else "0",
            json.dumps(list(params)),
        ],
        capture_output=True,
        text=True,
        check=False,
    )
    if out.returncode:
        raise RuntimeError(out.stderr.strip().splitlines()[-1] if out.stderr.strip() else "query failed")
    return json.loads(out.stdout)


def drop_database(python, db, database):
    # The name cannot be a query parameter; it is ours, never user input.
    sql(python, db, "postgres", f'DROP DATABASE IF EXISTS "{database}" WITH (FORCE)', autocommit=True)


def database_exists(python, db, database):
    return bool(sql(python, db, "postgres", "SELECT 1 FROM pg_database WHERE datname = %s", database))
