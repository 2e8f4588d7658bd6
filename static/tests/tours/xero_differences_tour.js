import { registry } from "@web/core/registry";

const line = (label) => `.o_xero_differences .o_data_row:has(td[name='label']:contains('${label}'))`;

// An accountant settles the differences of a partner with its Xero contact.
registry.category("web_tour.tours").add("xero_connector_differences_tour", {
    steps: () => [
        {
            content: "The notification lists the email changed in Odoo",
            trigger: `${line("Email")}:has(td[name='remote_value']:contains('bob@baysideclub.example'))`,
        },
        {
            content: "Push the email to Xero",
            trigger: `${line("Email")} button[name='action_push']`,
            run: "click",
        },
        {
            content: "The email is no longer listed",
            trigger: `.o_xero_differences:not(:has(${line("Email")}))`,
        },
        {
            content: "Pull the phone changed in Xero",
            trigger: `${line("Phone")} button[name='action_pull']`,
            run: "click",
        },
        {
            content: "The phone is no longer listed and the form shows Xero's number",
            trigger: `.o_xero_differences:not(:has(${line("Phone")}))`,
        },
        {
            trigger: ".o_field_widget[name='phone'] input:value('+64 9 555 0199')",
        },
        {
            content: "Ignore the city",
            trigger: `${line("City")} button[name='action_ignore']`,
            run: "click",
        },
        {
            content: "Nothing is left to settle: the notification is gone",
            trigger: ".o_form_view:not(:has(.o_xero_differences:visible))",
        },
    ],
});
