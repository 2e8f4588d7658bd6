import { registry } from "@web/core/registry";

// An accountant opens an invoice the customer paid, recorded in Xero from the bank feed.
registry.category("web_tour.tours").add("xero_connector_paid_in_xero_tour", {
    steps: () => [
        {
            content: "The invoice is paid in Odoo",
            trigger: ".o_form_view .ribbon:contains('Paid')",
        },
        {
            content: "It says it was paid in Xero, with a link to the payment there",
            trigger:
                ".o_xero_paid_in_xero:contains('Paid in Xero') a[href*='go.xero.com'][href*='ViewTransaction']",
        },
        {
            content: "Open the payment from the invoice's payment widget",
            trigger: ".o_field_widget[name='invoice_payments_widget'] a.js_payment_info, .o_field_widget[name='invoice_payments_widget'] .fa-info-circle",
            run: "click",
        },
        {
            content: "View the payment",
            trigger: ".popover button:contains('View'), .o_popover button:contains('View')",
            run: "click",
        },
        {
            content: "The Odoo payment leads to the payment in Xero",
            trigger: ".o_form_view .o_field_widget[name='xero_url'] a[href*='go.xero.com'][href*='ViewTransaction']",
        },
    ],
});
