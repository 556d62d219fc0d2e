"""Rendering the monthly documents to PDF with WeasyPrint (templates in
invoices/templates/)."""
