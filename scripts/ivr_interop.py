"""A telephony provider's calls to the phone line, signed by the twilio package.

Usage: ivr_interop.py BASE_URL AUTH_TOKEN

Each request is signed with twilio.request_validator.RequestValidator, as the provider
signs it; the server must answer with TwiML (parsed here with Python's own XML parser)
and refuse the same request tampered with or signed with another token.
"""

import sys
import urllib.error
import urllib.parse
import urllib.request
import xml.etree.ElementTree as ET

from twilio.request_validator import RequestValidator


def post(url, params, signature):
    body = urllib.parse.urlencode(params).encode("utf-8")
    request = urllib.request.Request(url, data=body, method="POST")
    request.add_header("Content-Type", "application/x-www-form-urlencoded")
    if signature is not None:
        request.add_header("X-Twilio-Signature", signature)
    try:
        with urllib.request.urlopen(request) as response:
            return response.status, response.read().decode("utf-8")
    except urllib.error.HTTPError as refused:
        return refused.code, refused.read().decode("utf-8", "replace")


def main():
    base, token = sys.argv[1], sys.argv[2]
    validator = RequestValidator(token)
    call = {
        "CallSid": "CA5f0c2bd1e1c04ad5b8b0a2ad1c7e9c11",
        "AccountSid": "AC0123456789abcdef0123456789abcdef",
        "From": "+97333123456",
        "To": "+97380008000",
        "CallStatus": "ringing",
        "Direction": "inbound",
    }

    # The call's first webhook: the language menu, in a <Gather>.
    url = base + "/hooks/ivr/twiml"
    status, body = post(url, call, validator.compute_signature(url, call))
    assert status == 200, (status, body)
    response = ET.fromstring(body)
    assert response.tag == "Response", body
    gather = response.find("Gather")
    assert gather is not None, body
    says = [say.text for say in gather.findall("Say")]
    assert any("English" in (s or "") for s in says), body

    # Press 2 (English) at the <Gather>'s action, with Arabic speech too: signed, accepted.
    action = urllib.parse.urljoin(url, gather.get("action"))
    pressed = dict(call, Digits="2", SpeechResult="الإنجليزية")
    del pressed["CallStatus"]
    signature = validator.compute_signature(action, pressed)
    assert validator.validate(action, pressed, signature)
    status, body = post(action, pressed, signature)
    assert status == 200, (status, body)
    menu = ET.fromstring(body).find("Gather")
    assert menu is not None and menu.get("language") == "en-US", body

    # Tampered: the same signature over other keys, another URL, another token, none.
    next_action = urllib.parse.urljoin(url, menu.get("action"))
    person = dict(call, Digits="0")
    good = validator.compute_signature(next_action, person)
    for label, target, params, signature in [
        ("other digits", next_action, dict(person, Digits="1"), good),
        ("other step", next_action.replace("step=2", "step=3"), person, good),
        ("other token", next_action, person, RequestValidator(token + "x").compute_signature(next_action, person)),
        ("no signature", next_action, person, None),
    ]:
        status, body = post(target, params, signature)
        assert status == 401, (label, status, body)

    # The genuine one still goes through: a person, by <Dial>.
    status, body = post(next_action, person, good)
    assert status == 200, (status, body)
    dial = ET.fromstring(body).find("Dial")
    assert dial is not None and dial.findtext("Number") == "+97317000000", body
    print("twilio RequestValidator signatures: accepted; tampered ones refused")


if __name__ == "__main__":
    main()
