"""A real SMTP session by Python's smtplib, a client this project did not write: an Arabic
mail in windows-1256 with an Arabic subject (RFC 2047), then a refused recipient. Prints the
receiver's answers; `case TW-…` names the case the mail became.

Usage: send_mail.py HOST:PORT [CAFILE]. With CAFILE, the session is upgraded by STARTTLS
first, trusting only that certificate; without it, STARTTLS must not be offered."""

import smtplib
import ssl
import sys
from email.header import Header
from email.mime.text import MIMEText

host, port = sys.argv[1].rsplit(":", 1)
message = MIMEText("يوجد حفرة عميقة في الطريق أمام المسجد، وقد سقط فيها طفل أمس.", "plain", "windows-1256")
message["Subject"] = Header("حفرة في الطريق", "windows-1256")
message["From"] = "Layla <layla@example.bh>"
message["To"] = "complaints@localhost"
message["Message-ID"] = "<smtplib-1@example.bh>"

with smtplib.SMTP(host, int(port), timeout=30) as smtp:
    code, _ = smtp.ehlo("python.example")
    assert code == 250, code
    assert smtp.has_extn("pipelining") and smtp.has_extn("size"), smtp.esmtp_features
    if len(sys.argv) > 2:
        code, answer = smtp.starttls(context=ssl.create_default_context(cafile=sys.argv[2]))
        assert code == 220, (code, answer)
        print("tls", smtp.sock.version())
        code, _ = smtp.ehlo("python.example")
        assert code == 250, code
        assert not smtp.has_extn("starttls"), smtp.esmtp_features
        code, answer = smtp.docmd("STARTTLS")
        assert code == 503, (code, answer)
    else:
        assert not smtp.has_extn("starttls"), smtp.esmtp_features
    code, answer = smtp.mail("layla@example.bh")
    assert code == 250, (code, answer)
    code, answer = smtp.rcpt("nobody@localhost")
    assert code == 550, (code, answer)
    code, answer = smtp.rcpt("complaints@localhost")
    assert code == 250, (code, answer)
    code, answer = smtp.data(message.as_bytes())
    assert code == 250, (code, answer)
    text = answer.decode()
    print("case", text.split("case", 1)[1].strip())
