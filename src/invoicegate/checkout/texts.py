"""Every sentence the checkout page shows, in Indonesian, English and Arabic.

Placeholders are filled by `str.format`; the template escapes the result (and so every
merchant's or customer's text inside it).
"""

LANGUAGES = ("id", "en", "ar")

# key: (Indonesian, English, Arabic)
_TABLE: dict[str, tuple[str, str, str]] = {
    "language": ("Bahasa", "Language", "اللغة"),
    "page_title": ("Tagihan {reference} — {merchant}", "Invoice {reference} — {merchant}",
                   "فاتورة {reference} — {merchant}"),
    "invoice_heading": ("Tagihan {reference}", "Invoice {reference}", "فاتورة {reference}"),
    "reference": ("Nomor tagihan", "Invoice number", "رقم الفاتورة"),
    "merchant": ("Penjual", "Merchant", "التاجر"),
    "customer": ("Pelanggan", "Customer", "العميل"),
    "pay_before": ("Bayar sebelum", "Pay before", "ادفع قبل"),
    "time_left": ("sisa {time}", "{time} left", "الوقت المتبقي: {time}"),
    "due_date": ("Jatuh tempo", "Due date", "تاريخ الاستحقاق"),
    "items": ("Rincian", "Items", "البنود"),
    "item": ("Barang", "Item", "البند"),
    "quantity": ("Jumlah", "Quantity", "الكمية"),
    "unit_price": ("Harga satuan", "Unit price", "سعر الوحدة"),
    "line_total": ("Subtotal", "Line total", "المجموع"),
    "total": ("Total", "Total", "الإجمالي"),
    "choose_channel": ("Pilih metode pembayaran", "Choose how to pay", "اختر طريقة الدفع"),
    "group.virtual_account": ("Virtual account", "Virtual account", "حساب افتراضي"),
    "group.qris": ("QRIS", "QRIS", "QRIS"),
    "group.ewallet": ("Dompet digital", "E-wallet", "محفظة إلكترونية"),
    "group.retail": ("Gerai ritel", "Retail store", "متاجر التجزئة"),
    "group.card": ("Kartu", "Card", "البطاقات"),
    "group.wallet": ("Dompet digital", "Wallet", "المحافظ الرقمية"),
    "pay_button": ("Bayar {amount}", "Pay {amount}", "ادفع {amount}"),
    "sandbox_note": (
        "Sandbox: pembayaran di sini hanya simulasi metode yang dipilih; tidak ada uang "
        "yang berpindah.",
        "Sandbox: paying here simulates the chosen channel; no money moves.",
        "بيئة تجريبية: الدفع هنا محاكاة للطريقة المختارة، ولا تنتقل أي أموال.",
    ),
    "choose_error": ("Pilih metode pembayaran.", "Choose a payment channel.", "اختر طريقة دفع."),
    "changed_error": (
        "Tagihan ini berubah saat Anda melihatnya. Periksa lalu bayar kembali.",
        "This invoice changed while you were viewing it. Check it and pay again.",
        "تغيّرت هذه الفاتورة أثناء عرضها. راجعها ثم ادفع مجدداً.",
    ),
    "paid_heading": ("Pembayaran diterima", "Payment received", "تم استلام الدفعة"),
    "paid_lead": ("Tagihan {reference} sudah dibayar.", "Invoice {reference} has been paid.",
                  "تم دفع الفاتورة {reference}."),
    "channel": ("Dibayar melalui", "Paid with", "طريقة الدفع"),
    "payment_code": ("Kode pembayaran", "Payment code", "رمز الدفع"),
    "amount_paid": ("Jumlah dibayar", "Amount paid", "المبلغ المدفوع"),
    "paid_at": ("Waktu pembayaran", "Paid at", "وقت الدفع"),
    "back_to": ("Kembali ke {merchant}", "Back to {merchant}", "العودة إلى {merchant}"),
    "back_button": ("Kembali", "Go back", "رجوع"),
    "back_noscript": (
        "Gunakan tombol Kembali di peramban Anda untuk kembali.",
        "Use your browser's Back button to return.",
        "استخدم زر الرجوع في متصفحك للعودة.",
    ),
    "expired_heading": ("Tagihan ini sudah kedaluwarsa", "This invoice has expired",
                        "انتهت صلاحية هذه الفاتورة"),
    "expired_lead": (
        "Tagihan ini tidak dapat dibayar lagi. Mintalah tagihan baru kepada {merchant}.",
        "It can no longer be paid. Ask {merchant} for a new invoice.",
        "لم يعد بالإمكان دفعها. اطلب فاتورة جديدة من {merchant}.",
    ),
    "expired_at": ("Kedaluwarsa pada", "Expired at", "انتهت في"),
    "cancelled_heading": ("Tagihan ini sudah dibatalkan", "This invoice has been cancelled",
                          "تم إلغاء هذه الفاتورة"),
    "cancelled_lead": (
        "Tagihan ini tidak dapat dibayar. Hubungi {merchant} jika ada pertanyaan.",
        "It can no longer be paid. Contact {merchant} if you have questions.",
        "لم يعد بالإمكان دفعها. تواصل مع {merchant} إن كانت لديك أسئلة.",
    ),
    "not_found_title": ("Tagihan tidak ditemukan", "Invoice not found", "الفاتورة غير موجودة"),
    "not_found_lead": (
        "Periksa kembali tautan pembayaran yang Anda terima.",
        "Check the payment link you were given.",
        "تحقّق من رابط الدفع الذي وصلك.",
    ),
    "refused_heading": ("Formulir ini sudah tidak berlaku", "This form has expired",
                        "انتهت صلاحية هذا النموذج"),
    "refused_lead": (
        "Belum ada yang dibayar. Buka kembali tagihan untuk membayar.",
        "Nothing was paid. Open the invoice again to pay.",
        "لم يُدفع شيء. افتح الفاتورة مجدداً للدفع.",
    ),
    "open_invoice": ("Buka tagihan", "Open the invoice", "افتح الفاتورة"),
}  # fmt: skip

_COLUMN = {language: index for index, language in enumerate(LANGUAGES)}


def text(language: str, key: str, **values: object) -> str:
    """The sentence `key` in `language`, its placeholders filled."""
    sentence = _TABLE[key][_COLUMN[language]]
    return sentence.format(**values) if values else sentence
