import { registry } from "@web/core/registry";

const row = (name) => `.o_data_row:has(td[name='name']:contains('${name}'))`;

// The accountant's first use of the Sync with Xero page.
registry.category("web_tour.tours").add("xero_connector_sync_page_tour", {
    url: "/odoo/action-xero_connector.xero_contact_action",
    steps: () => [
        {
            content: "The page lists the Xero contacts to review",
            trigger: `${row("Basket Case")}`,
        },
        {
            content: "Tick Basket Case",
            trigger: `${row("Basket Case")} td.o_list_record_selector input`,
            run: "click",
        },
        {
            content: "Tick Boom FM",
            trigger: `${row("Boom FM")} td.o_list_record_selector input`,
            run: "click",
        },
        {
            content: "Import the two ticked contacts",
            trigger: ".o_control_panel button[name='action_import']",
            run: "click",
        },
        {
            content: "Both left the To review list",
            trigger: `.o_list_renderer:not(:has(${row("Boom FM")})):not(:has(${row("Basket Case")}))`,
        },
        {
            content: "Link Bayside Club",
            trigger: `${row("Bayside Club")} button[name='action_open_link_wizard']`,
            run: "click",
        },
        {
            content: "Choose the partner in the dropdown",
            trigger: ".modal div[name='partner_id'] input",
            run: "edit Bayside Holdings",
        },
        {
            content: "Pick it",
            trigger: ".ui-menu-item a:contains('Bayside Holdings')",
            run: "click",
        },
        {
            content: "Link",
            trigger: ".modal button[name='action_link']",
            run: "click",
        },
        {
            content: "Bayside Club left the To review list",
            trigger: `.o_list_renderer:not(:has(${row("Bayside Club")}))`,
        },
        {
            content: "Ignore City Agency",
            trigger: `${row("City Agency")} button[name='action_ignore']`,
            run: "click",
        },
        {
            content: "City Agency left the To review list",
            trigger: `.o_list_renderer:not(:has(${row("City Agency")}))`,
        },
        {
            content: "Open the search options",
            trigger: ".o_searchview_dropdown_toggler",
            run: "click",
        },
        {
            content: "Leave To review",
            trigger: ".o_filter_menu .o-dropdown-item:contains('To review')",
            run: "click",
        },
        {
            content: "Show Ignored",
            trigger: ".o_filter_menu .o-dropdown-item:contains('Ignored')",
            run: "click",
        },
        {
            content: "City Agency is under Ignored",
            trigger: `${row("City Agency")}`,
        },
        {
            content: "Stop ignoring it",
            trigger: `${row("City Agency")} button[name='action_stop_ignoring']`,
            run: "click",
        },
        {
            content: "Nothing is ignored any more",
            trigger: `.o_list_renderer:not(:has(${row("City Agency")}))`,
        },
        {
            content: "Back to the contacts to review",
            trigger: ".o_searchview_dropdown_toggler",
            run: "click",
        },
        {
            trigger: ".o_filter_menu .o-dropdown-item:contains('Ignored')",
            run: "click",
        },
        {
            trigger: ".o_filter_menu .o-dropdown-item:contains('To review')",
            run: "click",
        },
        {
            content: "Close the search options",
            trigger: ".o_searchview_dropdown_toggler",
            run: "click",
        },
        {
            content: "City Agency is to review again",
            trigger: `${row("City Agency")}`,
        },
    ],
});
