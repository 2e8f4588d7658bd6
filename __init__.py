from . import controllers, models, wizard


def uninstall_hook(env):
    """The table of the jobs' signs of life is the addon's own SQL, not a model's: it goes with the addon."""
    env.cr.execute("DROP TABLE IF EXISTS xero_job_beat")
