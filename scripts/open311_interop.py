"""Open311 GeoReport v2 interoperability, run by scripts/open311-interop.

Posts by form with urllib (the specification's encoding: attribute[code] and
attribute[code][]), with a photo URL served here; reads back with georeport 0.3.1 in JSON
and XML, and checks the XML's element names and order against the specification's examples.
"""

import http.server
import json
import struct
import sys
import threading
import urllib.error
import urllib.parse
import urllib.request
import xml.etree.ElementTree as ET
import zlib

from georeport import GeoReport

ROOT, KEY, JURISDICTION = sys.argv[1], sys.argv[2], sys.argv[3]
EXPECT_REVOKED = "--expect-revoked" in sys.argv

def png_1x1():
    """A 1x1 red PNG, built with its checksums (the server decodes and re-encodes photos)."""
    def chunk(kind, data):
        return struct.pack(">I", len(data)) + kind + data + struct.pack(">I", zlib.crc32(kind + data))
    header = struct.pack(">IIBBBBB", 1, 1, 8, 2, 0, 0, 0)
    pixels = zlib.compress(b"\x00\xff\x00\x00")
    return b"\x89PNG\r\n\x1a\n" + chunk(b"IHDR", header) + chunk(b"IDAT", pixels) + chunk(b"IEND", b"")


PNG = png_1x1()

REQUEST_FIELDS = [
    "service_request_id", "status", "status_notes", "service_name", "service_code", "description",
    "agency_responsible", "service_notice", "requested_datetime", "updated_datetime",
    "expected_datetime", "address", "address_id", "zipcode", "lat", "long", "media_url",
]


class Photo(http.server.BaseHTTPRequestHandler):
    def do_GET(self):
        self.send_response(200)
        self.send_header("Content-Type", "image/png")
        self.send_header("Content-Length", str(len(PNG)))
        self.end_headers()
        self.wfile.write(PNG)

    def log_message(self, *args):
        pass


def check(condition, what):
    if not condition:
        sys.exit(f"FAILED: {what}")
    print(f"ok: {what}")


def post(fields):
    body = urllib.parse.urlencode(fields).encode()
    request = urllib.request.Request(
        f"{ROOT}/requests.json", data=body,
        headers={"Content-Type": "application/x-www-form-urlencoded"}, method="POST")
    try:
        with urllib.request.urlopen(request) as response:
            return response.status, json.load(response)
    except urllib.error.HTTPError as e:
        return e.code, json.load(e)


def children(element):
    return [c.tag for c in element]


def main():
    photos = http.server.ThreadingHTTPServer(("127.0.0.1", 0), Photo)
    threading.Thread(target=photos.serve_forever, daemon=True).start()
    photo_url = f"http://127.0.0.1:{photos.server_address[1]}/pothole.png"

    form = [
        ("api_key", KEY), ("jurisdiction_id", JURISDICTION), ("service_code", "pothole"),
        ("lat", "26.2235"), ("long", "50.5876"), ("address_string", "شارع الحكومة، المنامة"),
        ("attribute[size]", "large"), ("attribute[depth_cm]", "12"),
        ("first_name", "Interop"), ("email", "interop@example.org"),
        ("description", "حفرة عميقة أمام المدرسة"), ("media_url", photo_url),
    ]
    status, made = post(form)
    if EXPECT_REVOKED:
        check(status == 403 and made[0]["code"] == 403, "a revoked key is refused with 403 in the spec's error format")
        return
    check(status in (200, 201), f"urllib posts a request by form ({status}: {made})")
    first = made[0]["service_request_id"]
    status, made = post([
        ("api_key", KEY), ("service_code", "illegal-dumping"), ("address_string", "Block 338, Adliya"),
        ("attribute[waste][]", "furniture"), ("attribute[waste][]", "garden"),
    ])
    check(status in (200, 201), "a multivaluelist attribute posts as attribute[code][]")
    second = made[0]["service_request_id"]
    status, refused = post([("api_key", "wrong"), ("service_code", "pothole"), ("address_string", "x")])
    check(status == 403 and refused[0]["code"] == 403, "a bad key is refused with 403")

    for fmt in ("json", "xml"):
        client = GeoReport(ROOT, jurisdiction=JURISDICTION, output_format=fmt)
        services = client.get_service_list()
        codes = [s["service_code"] for s in services]
        check("pothole" in codes and "illegal-dumping" in codes, f"georeport lists services ({fmt})")
        definition = client.get_service_definition("pothole")
        attributes = definition["attributes"]
        if fmt == "xml":
            attributes = attributes["attribute"]
        check([a["code"] for a in attributes] == ["size", "depth_cm"], f"georeport reads a service definition ({fmt})")
        one = client.get_service_request(first)
        check(one["service_request_id"] == first and one["service_code"] == "pothole", f"georeport reads one request ({fmt})")
        check(one["media_url"] == photo_url, f"the photo URL is read back ({fmt})")
        check(str(one["lat"]) == "26.2235" and one["status"] == "open", f"the place and status are read back ({fmt})")
        listed = client.get_service_requests(service_request_id=f"{first},{second}")
        if isinstance(listed, dict):
            listed = [listed]
        check({r["service_request_id"] for r in listed} == {first, second}, f"georeport lists requests by id ({fmt})")
        recent = client.get_service_requests(service_code="pothole", status="open")
        if isinstance(recent, dict):
            recent = [recent]
        check(first in [r["service_request_id"] for r in recent], f"georeport filters requests ({fmt})")
        for r in listed:
            check("interop@example.org" not in json.dumps(r), f"no personal data in the public read ({fmt})")

    # Element names and order, as in the specification's examples.
    with urllib.request.urlopen(f"{ROOT}/requests/{first}.xml") as response:
        root = ET.fromstring(response.read())
    check(root.tag == "service_requests" and children(root) == ["request"], "requests.xml: <service_requests><request>")
    check(children(root[0]) == REQUEST_FIELDS, "a request's elements in the specification's order")
    with urllib.request.urlopen(f"{ROOT}/services.xml") as response:
        root = ET.fromstring(response.read())
    check(children(root[0]) == ["service_code", "service_name", "description", "metadata", "type", "keywords", "group"],
          "services.xml: a service's elements in order")
    with urllib.request.urlopen(f"{ROOT}/services/pothole.xml?locale=en") as response:
        root = ET.fromstring(response.read())
    attribute = root.find("attributes/attribute")
    check(children(attribute) == ["variable", "code", "datatype", "required", "datatype_description", "order",
                                  "description", "values"], "service definition: an attribute's elements in order")
    check(children(attribute.find("values/value")) == ["key", "name"], "an attribute's value: key, name")
    with urllib.request.urlopen(f"{ROOT}/discovery.xml") as response:
        root = ET.fromstring(response.read())
    check(children(root) == ["changeset", "contact", "key_service", "endpoints"], "discovery.xml in order")


main()
