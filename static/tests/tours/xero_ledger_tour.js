import { registry } from "@web/core/registry";

// An accountant reads a customer's Xero sales ledger on the partner form.
registry.category("web_tour.tours").add("xero_connector_ledger_tour", {
    steps: () => {
        // Left by the test: the InvoiceID of INV-0001, which the link must open.
        const invoiceId = sessionStorage.getItem("xero_connector.ledger_tour_invoice");
        const row = ".o_field_widget[name='xero_ledger_entry_ids'] .o_data_row:has(td[name='name']:contains('INV-0001'))";
        return [
            {
                content: "Open the Xero tab",
                trigger: ".o_notebook .nav-link[name='xero_ledger']",
                run: "click",
            },
            {
                content: "The overdue invoice stands out",
                trigger: `${row}.text-danger:has(td[name='amount_due']:contains('1,380.00'))`,
            },
            {
                content: "Its link opens it in Xero, in a new tab",
                trigger: `${row} a[target='_blank'][href*='go.xero.com/app/'][href$='/invoicing/view/${invoiceId}']`,
            },
            {
                content: "The totals are at the top",
                trigger: ".o_field_widget[name='xero_ledger_overdue']:contains('1,380.00 NZD')",
            },
            {
                content: "The contact itself can be opened in Xero",
                trigger: ".o_field_widget[name='xero_ledger_contact_url'] a[href*='/contacts/contact/']",
            },
            {
                content: "Refresh from Xero",
                trigger: "button[name='action_xero_refresh_ledger']",
                run: "click",
            },
            {
                content: "The ledger is still there, with no error",
                trigger: `.o_form_view:not(:has(.alert-warning:visible)) ${row}`,
            },
        ];
    },
});
