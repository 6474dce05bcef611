#!/usr/bin/env python3
"""Writes the golden-case inputs (<name>.in.json) of tests/adapter/evaluate_golden_test.cc.

Every case is one patient, evaluated at 2026-03-01 (kAsOf in the test). The expected
transaction Bundles (<name>.expected.json) are produced by the tool
(BONEWATCH_UPDATE_GOLDEN=1) and reviewed by hand. Run from this directory:
    python3 generate_inputs.py
"""
import json

LOINC = "http://loinc.org"
SNOMED = "http://snomed.info/sct"
RXNORM = "http://www.nlm.nih.gov/research/umls/rxnorm"
UCUM = "http://unitsofmeasure.org"


class Case:
    def __init__(self, name, pid, birth, bundle_type="collection", urn=False):
        self.name, self.pid, self.urn, self.n = name, pid, urn, 0
        self.bundle = {"resourceType": "Bundle", "type": bundle_type, "entry": []}
        self.patient_url = f"urn:uuid:00000000-0000-4000-8000-{int(pid.split('-')[1]):012d}" if urn else f"http://example.org/fhir/Patient/{pid}"
        self.add({"resourceType": "Patient", "id": pid, "gender": "female", "birthDate": birth},
                 url=self.patient_url)

    def subject(self):
        return {"reference": self.patient_url if self.urn else f"Patient/{self.pid}"}

    def add(self, resource, url=None):
        entry = {"fullUrl": url or f"http://example.org/fhir/{resource['resourceType']}/{resource['id']}",
                 "resource": resource}
        if self.bundle["type"] == "transaction":
            entry["request"] = {"method": "POST", "url": resource["resourceType"]}
        self.bundle["entry"].append(entry)

    def next_id(self, prefix):
        self.n += 1
        return f"{self.pid}-{prefix}{self.n}"

    def obs(self, code, value, unit, date, ucum=None, status="final", version=None):
        r = {"resourceType": "Observation", "id": self.next_id("obs"), "status": status,
             "code": {"coding": [{"system": LOINC, "code": code}]}, "subject": self.subject(),
             "effectiveDateTime": date,
             "valueQuantity": {"value": value, "unit": unit, "system": UCUM, "code": ucum or unit}}
        if version:
            r["meta"] = {"versionId": version}
        self.add(r)
        return r

    def t_score(self, code, value, date):
        return self.obs(code, value, "{T-score}", date)

    def med(self, rxnorm, status, start, end=None, kind="MedicationStatement"):
        r = {"resourceType": kind, "id": self.next_id("med"), "status": status,
             "medicationCodeableConcept": {"coding": [{"system": RXNORM, "code": rxnorm}]},
             "subject": self.subject()}
        if kind == "MedicationStatement":
            if end:
                r["effectivePeriod"] = {"start": start, "end": end}
            else:
                r["effectiveDateTime"] = start
        else:
            r["intent"] = "order"
            r["authoredOn"] = start
        self.add(r)
        return r

    def condition(self, code, onset):
        self.add({"resourceType": "Condition", "id": self.next_id("cond"),
                  "clinicalStatus": {"coding": [{"system": "http://terminology.hl7.org/CodeSystem/condition-clinical", "code": "active"}]},
                  "verificationStatus": {"coding": [{"system": "http://terminology.hl7.org/CodeSystem/condition-ver-status", "code": "confirmed"}]},
                  "code": {"coding": [{"system": SNOMED, "code": code}]}, "subject": self.subject(),
                  "onsetDateTime": onset})

    def dxa_procedure(self, date):
        self.add({"resourceType": "Procedure", "id": self.next_id("proc"), "status": "completed",
                  "code": {"coding": [{"system": SNOMED, "code": "312681000"}]},
                  "subject": self.subject(), "performedDateTime": date})

    def other(self, resource_type):
        self.add({"resourceType": resource_type, "id": self.next_id("x"), "status": "finished",
                  "class": {"system": "http://terminology.hl7.org/CodeSystem/v3-ActCode", "code": "AMB"},
                  "subject": self.subject()})

    def write(self):
        with open(f"{self.name}.in.json", "w") as f:
            json.dump(self.bundle, f, indent=2, ensure_ascii=False)
            f.write("\n")


ANASTROZOLE, LETROZOLE, EXEMESTANE = "84857", "72965", "258494"
ALENDRONATE, DENOSUMAB, TAMOXIFEN = "46041", "993449", "10324"

# 1. No baseline DXA 5 months into the course, and no 3-month marker.
c = Case("no-baseline-dxa", "bw-01", "1961-04-12")
c.med(ANASTROZOLE, "active", "2025-10-01")
c.other("Encounter")
c.write()

# 2. Osteoporosis on the baseline scan; therapy indicated; both markers taken, no rise.
c = Case("osteoporosis", "bw-02", "1964-02-20")
c.med(LETROZOLE, "active", "2025-06-01")
c.t_score("38264-8", -2.7, "2025-05-20")
c.t_score("38267-1", -2.1, "2025-05-20")
c.obs("41171-0", 450, "ng/L", "2025-05-25")
c.obs("41171-0", 480, "ng/L", "2025-09-01")
c.write()

# 3. Osteopenia, no risk factor; vitamin D insufficient.
c = Case("osteopenia", "bw-03", "1967-09-03")
c.med(EXEMESTANE, "active", "2025-04-10")
c.t_score("38267-1", -1.8, "2025-04-01")
c.obs("62292-8", 25, "ng/mL", "2025-12-15")
c.write()

# 4. Premenopausal (age 45): a low Z-score replaces the T-score categories.
c = Case("low-bmd-for-age", "bw-04", "1980-06-30")
c.med(ANASTROZOLE, "active", "2025-08-01")
c.t_score("38267-1", -2.6, "2025-07-20")
c.obs("85394-5", -2.3, "{Z-score}", "2025-07-20")
c.write()

# 5. 7% lumbar BMD loss between the baseline and the latest scan.
c = Case("bmd-loss", "bw-05", "1958-11-11")
c.med(LETROZOLE, "active", "2024-04-01")
c.obs("24966-4", 1.000, "g/cm2", "2024-03-15")
c.t_score("38267-1", -0.5, "2024-03-15")
c.obs("24966-4", 0.930, "g/cm2", "2025-12-10")
c.t_score("38267-1", -1.1, "2025-12-10")
c.write()

# 6. CTX rises 50% at 3 months.
c = Case("btm-rise", "bw-06", "1962-01-25")
c.med(ANASTROZOLE, "active", "2025-09-15")
c.t_score("38267-1", -0.8, "2025-09-10")
c.obs("41171-0", 300, "ng/L", "2025-09-12")
c.obs("41171-0", 0.45, "ng/mL", "2025-12-20", ucum="ng/mL")
c.write()

# 7. Follow-up DXA overdue (normal baseline in 2023); vitamin D deficient (nmol/L).
c = Case("dxa-follow-up-due", "bw-07", "1959-05-05")
c.med(ANASTROZOLE, "active", "2023-01-10")
c.t_score("38267-1", -0.5, "2023-01-05")
c.obs("62292-8", 37.44, "nmol/L", "2026-01-20")
c.write()

# 8. Denosumab dose a year ago, not repeated; T-score below -2.0.
c = Case("denosumab-overdue", "bw-08", "1957-03-14")
c.med(ANASTROZOLE, "active", "2024-06-01")
c.t_score("38264-8", -2.2, "2024-05-15")
c.med(DENOSUMAB, "completed", "2025-03-01")
c.write()

# 9. On alendronate: bone-directed therapy in progress; DXA recorded as a Procedure.
c = Case("on-bisphosphonate", "bw-09", "1960-10-01")
c.med(EXEMESTANE, "active", "2025-02-01")
c.dxa_procedure("2025-01-20")
c.t_score("80946-7", -2.3, "2025-01-20")
c.med(ALENDRONATE, "active", "2025-03-01")
c.obs("62292-8", 34, "ng/mL", "2025-03-01")
c.write()

# 10. AI course ended: the CarePlan is completed, no Flag is written.
c = Case("course-completed", "bw-10", "1955-07-07")
c.med(LETROZOLE, "completed", "2020-06-01", "2025-06-01")
c.t_score("38267-1", -2.8, "2024-05-01")
c.write()

# 11. Tamoxifen only: out of scope, nothing written despite osteoporosis.
c = Case("out-of-scope-tamoxifen", "bw-11", "1970-01-01")
c.med(TAMOXIFEN, "active", "2025-01-01")
c.t_score("38267-1", -3.0, "2025-02-01")
c.write()

# 12. Two risk factors (smoker, rheumatoid arthritis), age > 65, BMI < 20, mild osteopenia.
c = Case("risk-factors", "bw-12", "1955-02-01")
c.med(ANASTROZOLE, "active", "2025-05-01")
c.t_score("38267-1", -1.2, "2025-04-20")
c.condition("77176002", "2010-01-01")
c.condition("69896004", "2015-06-01")
c.obs("39156-5", 18.5, "kg/m2", "2025-04-20")
c.write()

# 13. Fragility fracture; DXA recorded only as a Procedure (no values).
c = Case("fragility-fracture", "bw-13", "1963-08-08")
c.med(LETROZOLE, "active", "2025-07-01")
c.dxa_procedure("2025-06-25")
c.condition("443165006", "2024-11-02")
c.write()

# 14. A transaction Bundle with urn:uuid fullUrls; a MedicationRequest whose drug is a
#     bundled Medication; goserelin (premenopausal); one Observation that is rejected.
c = Case("transaction-urn-references", "bw-14", "1976-12-12", bundle_type="transaction", urn=True)
med_url = "urn:uuid:6b1c2e33-0d4e-4f0a-9b7e-000000000014"
c.add({"resourceType": "Medication", "code": {"coding": [{"system": RXNORM, "code": "200064"}]}},
      url=med_url)
c.add({"resourceType": "MedicationRequest", "id": "bw-14-mr1", "status": "active", "intent": "order",
       "medicationReference": {"reference": med_url}, "subject": c.subject(),
       "authoredOn": "2025-11-20"})
c.med("310592", "active", "2025-11-01")
c.t_score("38267-1", -1.4, "2025-11-25")
c.obs("41171-0", 520, "ng/L", "2025-11-18")
c.add({"resourceType": "Observation", "id": "bw-14-bad", "status": "final",
       "code": {"coding": [{"system": LOINC, "code": "62292-8"}]}, "subject": c.subject(),
       "effectiveDateTime": "2026-01-05", "valueString": "low"})
c.write()

# 15. The only AI statement was entered in error: retracted; offline nothing is written.
c = Case("retracted-course", "bw-15", "1961-01-01")
c.med(ANASTROZOLE, "entered-in-error", "2025-05-01")
c.t_score("38267-1", -2.9, "2025-05-10")
c.write()
