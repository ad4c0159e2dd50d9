"""simple_salesforce against `sfmap emulate --tls`: session-id, JWT, client_credentials and
password logins, create, upsert (new and existing), a paging query, update, delete, a Bulk API
2.0 upsert with a failing row, describe. Assertions check what simple_salesforce returns and,
through raw HTTPS, the records in the emulator. Expects EMU_* from run.sh and REQUESTS_CA_BUNDLE
pointing at the emulator's certificate (simple_salesforce only speaks https)."""

import csv
import io
import json
import os
import urllib.parse
import urllib.request
import ssl

import requests
from requests.adapters import HTTPAdapter
from simple_salesforce import Salesforce
from simple_salesforce.exceptions import SalesforceMalformedRequest, SalesforceResourceNotFound

URL = os.environ["EMU_URL"]
TOKEN = os.environ["EMU_TOKEN"]
HOST = URL.split("://", 1)[1]
CTX = ssl.create_default_context(cafile=os.environ["REQUESTS_CA_BUNDLE"])


def raw(soql):
    """The emulator's records, read without simple_salesforce."""
    q = urllib.parse.urlencode({"q": soql})
    req = urllib.request.Request(f"{URL}/services/data/v60.0/query?{q}", headers={"Authorization": f"Bearer {TOKEN}"})
    with urllib.request.urlopen(req, context=CTX) as r:
        return json.load(r)


class Redirect(HTTPAdapter):
    """Test-harness transport: simple_salesforce hard-codes https://{login,test,<domain>}.salesforce.com
    for logins; this sends those requests to the emulator. The library itself is unmodified."""

    def send(self, request, **kw):
        u = urllib.parse.urlsplit(request.url)
        request.url = URL + u.path + (("?" + u.query) if u.query else "")
        return super().send(request, **kw)


def session():
    s = requests.Session()
    for host in ("https://login.salesforce.com", "https://test.salesforce.com", "https://emu.my.salesforce.com"):
        s.mount(host, Redirect())
    return s


def main():
    # --- logins ---------------------------------------------------------------------------------
    sf = Salesforce(instance_url=URL, session_id=TOKEN, version="60.0")
    assert sf.query("SELECT COUNT() FROM Account")["totalSize"] == 2100

    jwt = Salesforce(username=os.environ["EMU_USERNAME"], consumer_key=os.environ["EMU_CLIENT_ID"],
                     privatekey_file=os.environ["EMU_JWT_KEY"], session=session(), version="60.0")
    assert jwt.sf_instance == HOST, jwt.sf_instance
    assert jwt.query("SELECT COUNT() FROM Account")["totalSize"] == 2100
    cc = Salesforce(consumer_key=os.environ["EMU_CLIENT_ID"], consumer_secret=os.environ["EMU_CLIENT_SECRET"],
                    domain="emu.my", session=session(), version="60.0")
    assert cc.query("SELECT COUNT() FROM Account")["totalSize"] == 2100
    pw = Salesforce(username=os.environ["EMU_USERNAME"], password=os.environ["EMU_PASSWORD"],
                    consumer_key=os.environ["EMU_CLIENT_ID"], consumer_secret=os.environ["EMU_CLIENT_SECRET"],
                    session=session(), version="60.0")
    assert pw.query("SELECT COUNT() FROM Account")["totalSize"] == 2100

    # --- records ----------------------------------------------------------------------------------
    created = sf.Account.create({"Name": "PY Acme", "ExtId__c": "PY1"})
    assert created["success"] is True and created["id"].startswith("001"), created
    assert [r["Name"] for r in raw("SELECT Name FROM Account WHERE ExtId__c = 'PY1'")["records"]] == ["PY Acme"]
    assert sf.api_usage["api-usage"].total == 15000

    assert sf.Account.upsert("ExtId__c/PY 2&x", {"Name": "PY New"}) == 201
    assert sf.Account.upsert("ExtId__c/PY1", {"Name": "PY Existing"}) == 200
    names = [r["Name"] for r in raw("SELECT Name FROM Account WHERE ExtId__c IN ('PY1', 'PY 2&x') ORDER BY Name")["records"]]
    assert names == ["PY Existing", "PY New"], names
    try:
        sf.Account.create({"Name": "dup", "ExtId__c": "py1"})
        raise AssertionError("duplicate accepted")
    except SalesforceMalformedRequest as e:
        assert e.content[0]["errorCode"] == "DUPLICATE_VALUE", e.content

    # A paging query: 2,100 seeded records, first page 2,000.
    first = sf.query("SELECT Id, Name FROM Account WHERE Name LIKE 'Page %' ORDER BY Name")
    assert first["totalSize"] == 2100 and first["done"] is False and len(first["records"]) == 2000
    more = sf.query_more(first["nextRecordsUrl"], identifier_is_url=True)
    assert more["done"] is True and len(more["records"]) == 100 and more["records"][-1]["Name"] == "Page 2099"
    assert len(sf.query_all("SELECT Id FROM Account WHERE Name LIKE 'Page %'")["records"]) == 2100

    assert sf.Account.update(created["id"], {"Name": "PY Updated"}) == 204
    assert raw(f"SELECT Name FROM Account WHERE Id = '{created['id']}'")["records"][0]["Name"] == "PY Updated"
    new_id = raw("SELECT Id FROM Account WHERE ExtId__c = 'PY 2&x'")["records"][0]["Id"]
    assert sf.Account.delete(new_id) == 204
    assert raw("SELECT COUNT() FROM Account WHERE ExtId__c = 'PY 2&x'")["totalSize"] == 0
    try:
        sf.Account.get(new_id)
        raise AssertionError("deleted record readable")
    except SalesforceResourceNotFound as e:
        assert e.content[0]["errorCode"] == "ENTITY_IS_DELETED", e.content

    # --- Bulk API 2.0 upsert with a failing row -----------------------------------------------------
    res = sf.bulk2.Account.upsert(
        records=[{"ExtId__c": "PB1", "Name": "Bulk One"}, {"ExtId__c": "PY1", "Name": 'Bulk, "quoted"'},
                 {"ExtId__c": "PB3", "Name": "x" * 300}],
        external_id_field="ExtId__c", wait=1)
    assert len(res) == 1 and res[0]["numberRecordsProcessed"] == 3 and res[0]["numberRecordsFailed"] == 1, res
    job = res[0]["job_id"]
    ok = list(csv.DictReader(io.StringIO(sf.bulk2.Account.get_successful_records(job))))
    bad = list(csv.DictReader(io.StringIO(sf.bulk2.Account.get_failed_records(job))))
    assert sorted(r["ExtId__c"] for r in ok) == ["PB1", "PY1"], ok
    assert {r["ExtId__c"]: r["sf__Created"] for r in ok} == {"PB1": "true", "PY1": "false"}
    assert len(bad) == 1 and bad[0]["ExtId__c"] == "PB3" and bad[0]["sf__Error"].startswith("STRING_TOO_LONG:"), bad
    unprocessed = sf.bulk2.Account.get_unprocessed_records(job)
    assert list(csv.DictReader(io.StringIO(unprocessed))) == [], unprocessed
    assert raw("SELECT Name FROM Account WHERE ExtId__c = 'PY1'")["records"][0]["Name"] == 'Bulk, "quoted"'
    assert raw("SELECT COUNT() FROM Account WHERE ExtId__c = 'PB3'")["totalSize"] == 0

    # --- describe -----------------------------------------------------------------------------------
    d = sf.Account.describe()
    assert any(f["name"] == "ExtId__c" and f["externalId"] for f in d["fields"])
    assert any(o["name"] == "Widget__c" for o in sf.describe()["sobjects"])
    assert sf.limits()["DailyApiRequests"]["Max"] == 15000
    print("simple_salesforce: all assertions passed")


if __name__ == "__main__":
    main()
