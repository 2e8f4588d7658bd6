{
    "name": "Xero Connector",
    "summary": "Sync contacts, invoices, credit notes and payments with Xero",
    "version": "19.0.1.0.0",
    "category": "Accounting/Accounting",
    "license": "LGPL-3",
    "author": "xero_connector developers",
    "website": "https://github.com/xero-connector/xero_connector",
    "depends": ["contacts", "account", "mail"],
    "external_dependencies": {"python": ["xero_python", "requests"]},
    "data": [
        "security/xero_security.xml",
        "security/ir.model.access.csv",
        "data/ir_cron_data.xml",
        "views/xero_job_views.xml",
        "views/xero_contact_views.xml",
        "views/xero_connection_views.xml",
        "views/res_config_settings_views.xml",
        "views/xero_menus.xml",
    ],
    "assets": {
        "web.assets_tests": [
            "xero_connector/static/tests/tours/**/*",
        ],
    },
    "installable": True,
    "application": False,
}
