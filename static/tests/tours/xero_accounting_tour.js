import { registry } from "@web/core/registry";

// An administrator starts the back-sync: start date, preview, confirm.
registry.category("web_tour.tours").add("xero_connector_accounting_preview_tour", {
    steps: () => [
        {
            content: "Choose the start date in Settings > Xero",
            trigger: ".o_field_widget[name='xero_accounting_start_date'] input",
            run: "edit 01/01/2026",
        },
        {
            content: "Save the settings",
            trigger: ".o_control_panel .o_form_button_save",
            run: "click",
            expectUnloadPage: true,
        },
        {
            content: "Preview what would be sent",
            trigger: "button[name='action_xero_accounting_preview']:contains('Preview and start sending')",
            run: "click",
        },
        {
            content: "One invoice to send",
            trigger: ".modal .o_field_widget[name='invoice_count']:contains('1')",
        },
        {
            content: "One is already in Xero: it is linked, not sent again",
            trigger: ".modal .o_field_widget[name='link_count']:contains('1')",
        },
        {
            content: "The plain warning before anything is sent",
            trigger: ".modal .alert-warning:contains('not taken back automatically')",
        },
        {
            content: "The document already in Xero is listed",
            trigger: ".modal .nav-link:contains('Already in Xero')",
            run: "click",
        },
        {
            content: "With the reason",
            trigger: ".modal .o_field_widget[name='link_line_ids'] .o_data_row:contains('same number for the same customer')",
        },
        {
            content: "Start sending",
            trigger: ".modal button[name='action_confirm']:contains('Start sending')",
            run: "click",
        },
        {
            content: "Confirm",
            trigger: ".modal:contains('not taken back automatically') .modal-footer .btn-primary:contains('Ok')",
            run: "click",
        },
        {
            content: "Sending has started",
            trigger: ".o_notification:contains('Sending to Xero has started')",
        },
    ],
});

// An accountant reads why Xero refused an invoice, and sends it again.
registry.category("web_tour.tours").add("xero_connector_accounting_refused_tour", {
    steps: () => [
        {
            content: "The refused invoice says why, in Xero's words",
            trigger: ".o_xero_move_status.alert-danger:contains('is archived and cannot be used on transactions')",
        },
        {
            content: "Send it again once fixed in Xero",
            trigger: ".o_xero_move_status button[name='action_xero_send_again']",
            run: "click",
        },
        {
            content: "It waits for the next sending",
            trigger: ".o_xero_move_status.alert-info:contains('Waiting to be sent')",
        },
    ],
});

// An accountant sees an invoice that went through, and opens it in Xero.
registry.category("web_tour.tours").add("xero_connector_accounting_sent_tour", {
    steps: () => [
        {
            content: "It is in Xero, with a link that opens it there",
            trigger:
                ".o_xero_move_status.alert-success:contains('In Xero') a[href*='go.xero.com/app/'][href*='/invoicing/view/']",
        },
    ],
});
