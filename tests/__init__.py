from . import test_connection, test_queue, test_tour
