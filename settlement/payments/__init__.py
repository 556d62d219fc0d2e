"""Payment providers: how invoices are collected and payees paid (the SEPA
files of `sepa_files`, Mollie in `mollie`), behind the `PaymentProvider`
protocol of `provider`, and the camt.053 bank statement parser."""
