import { registry } from "@web/core/registry";

// Proves the browser-test machinery: log in, open Contacts > Xero > Jobs.
registry.category("web_tour.tours").add("xero_connector_menu_tour", {
    url: "/odoo/contacts",
    steps: () => [
        {
            content: "Open the Xero menu of the Contacts app",
            trigger: ".o_main_navbar button:contains('Xero'), .o_main_navbar a:contains('Xero')",
            run: "click",
        },
        {
            content: "Open the job list",
            trigger: ".dropdown-item:contains('Jobs')",
            run: "click",
        },
        {
            content: "The job list is shown",
            trigger: ".o_breadcrumb:contains('Xero jobs')",
        },
    ],
});
