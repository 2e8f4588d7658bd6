from . import test_connection, test_queue, test_sync_page, test_tour
