from . import (
    test_access,
    test_accounting,
    test_connection,
    test_differences,
    test_ledger,
    test_numbers,
    test_places,
    test_push,
    test_queue,
    test_sync_page,
    test_tour,
    test_translations,
)
