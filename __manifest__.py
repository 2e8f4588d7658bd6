{
    "name": "Xero Connector",
    "summary": "Sync contacts, invoices, credit notes and payments with Xero",
    "version": "19.0.1.0.0",
    "category": "Accounting/Accounting",
    "license": "LGPL-3",
    "uninstall_hook": "uninstall_hook",
    "author": "xero_connector developers",
    "website": "https://github.com/xero-connector/xero_connector",
    "maintainers": ["xero-connector"],
    "development_status": "Beta",
    "depends": ["contacts", "account", "mail", "phone_validation"],
    # PyPI names and versions, as requirements.txt (Odoo 19 checks the versions at install).
    "external_dependencies": {
        "python": [
            "xero-python>=15,<16",
            "requests>=2.25",
            "pycountry>=22.3.5",
            "phonenumbers>=8.12",
            "python-stdnum>=1.16",
        ]
    },
    "data": [
        "security/xero_security.xml",
        "security/ir.model.access.csv",
        "data/ir_cron_data.xml",
        "data/mail_activity_type_data.xml",
        "views/xero_job_views.xml",
        "views/xero_contact_views.xml",
        "views/res_partner_views.xml",
        "views/xero_difference_views.xml",
        "views/xero_connection_views.xml",
        "views/xero_document_views.xml",
        "views/xero_account_mapping_views.xml",
        "views/xero_tax_mapping_views.xml",
        "views/xero_journal_mapping_views.xml",
        "views/xero_accounting_preview_views.xml",
        "views/account_move_views.xml",
        "views/res_config_settings_views.xml",
        "views/xero_menus.xml",
    ],
    "assets": {
        "web.assets_tests": [
            "xero_connector/static/tests/tours/**/*",
        ],
    },
}
