import { registry } from "@web/core/registry";

// Fails the step when an element's text is cut (ellipsis or overflow) at the tour's window size.
function checkNotCut(selector, what) {
    const cut = [...document.querySelectorAll(selector)].filter(
        (el) => el.offsetParent && el.scrollWidth > el.clientWidth + 1
    );
    if (cut.length) {
        const said = cut.map((el) => `${el.textContent.trim()} (${el.clientWidth} of ${el.scrollWidth}px)`);
        throw new Error(`${what} cut at ${window.innerWidth}px: ${said.join(", ")}`);
    }
}

// At 1440 px: the Sync with Xero page's title and columns, whole.
registry.category("web_tour.tours").add("xero_connector_sync_page_layout_tour", {
    steps: () => [
        {
            content: "The page lists the Xero contacts",
            trigger: ".o_list_renderer .o_data_row td[name='name']",
        },
        {
            content: "The header buttons leave the title whole",
            trigger: ".o_control_panel .o_last_breadcrumb_item:contains('Sync with Xero')",
            run() {
                checkNotCut(".o_control_panel .o_last_breadcrumb_item span", "The title");
            },
        },
        {
            content: "Every column title is readable",
            trigger: ".o_list_renderer thead th",
            run() {
                checkNotCut(".o_list_renderer thead th .o_list_column_title, .o_list_renderer thead th span", "Column titles");
                checkNotCut(".o_list_renderer .o_data_row td[name='name']", "Contact names");
            },
        },
    ],
});

// The ledger tab of a synced partner: status and link columns whole.
registry.category("web_tour.tours").add("xero_connector_ledger_layout_tour", {
    steps: () => [
        {
            content: "Open the Xero tab",
            trigger: ".o_notebook .nav-link[name='xero_ledger']",
            run: "click",
        },
        {
            content: "The status and the link of each document are whole",
            trigger: ".o_field_widget[name='xero_ledger_entry_ids'] .o_data_row td[name='xero_url'] a",
            run() {
                const table = ".o_field_widget[name='xero_ledger_entry_ids']";
                checkNotCut(`${table} td[name='status'], ${table} td[name='status'] *`, "Statuses");
                checkNotCut(`${table} td[name='xero_url'], ${table} td[name='xero_url'] *`, "Links");
                checkNotCut(`${table} thead th span`, "Column titles");
            },
        },
    ],
});

// Documents sent to Xero, by status and month; mappings not done yet.
registry.category("web_tour.tours").add("xero_connector_reporting_tour", {
    steps: () => [
        {
            content: "Switch to the pivot view",
            trigger: ".o_control_panel .o_switch_view.o_pivot",
            run: "click",
        },
        {
            content: "Documents by status (rows) and month (columns)",
            trigger: ".o_pivot table:has(.o_pivot_header_cell_closed, .o_pivot_header_cell_opened)",
        },
        {
            content: "Sent documents are a row",
            trigger: ".o_pivot th:contains('In Xero'), .o_pivot th:contains('Sent')",
        },
        {
            content: "Switch to the graph view",
            trigger: ".o_control_panel .o_switch_view.o_graph",
            run: "click",
        },
        {
            content: "The graph is drawn",
            trigger: ".o_graph_renderer canvas",
        },
    ],
});
