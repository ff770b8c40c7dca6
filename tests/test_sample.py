"""The sample year (data/sample): generator invariants, determinism, and the intake round trip.

The round trip reads a sample generated afresh (``fresh``), so the generator and intake are
checked against each other even when the committed data/sample predates a change of the
rules (it is regenerated separately); the committed folder is read once for its row counts."""

from __future__ import annotations

import datetime as dt
import json
from collections import defaultdict
from pathlib import Path

import openpyxl
import pytest

from evalkit.core.catalogue import is_major_hazard, load_catalogue, match_violation
from evalkit.core.problems import RULES
from evalkit.exceptions import ParameterError
from evalkit.sample.events import CRIMINAL_CODES, HAZARD_TEXTS, MAJOR_PREFIX
from evalkit.sample.figures import FigRow, money, rate, unit_figures
from evalkit.sample.generate import generate, simulate
from evalkit.sample.script import LOW_RANDOM_SHARE

ROOT = Path(__file__).resolve().parents[1]
SAMPLE = ROOT / "data" / "sample"
MANIFEST = SAMPLE / "MANIFEST.json"


@pytest.fixture(scope="module")
def manifest() -> dict:
    if not MANIFEST.exists():
        pytest.skip("data/sample not generated (run: evalkit sample --out data/sample --seed 2024)")
    return json.loads(MANIFEST.read_text(encoding="utf-8"))


@pytest.fixture(scope="module")
def year():
    return simulate(2024)


# ---------------------------------------------------------------------------- small pieces
def test_hazard_wordings_map_back_to_their_code():
    """Every hazard wording (plain and as 重大事故隐患) is recognised as its own catalogue code."""
    for code, texts in HAZARD_TEXTS.items():
        for text in texts:
            assert match_violation(text) == code, text
            assert match_violation(MAJOR_PREFIX + text) == code, text
            assert not is_major_hazard(text), text
            assert not any(ch.isdigit() for ch in text), text


def test_rates_round_half_up_and_zero_denominator():
    """Rates round half up to 2 d.p. (3.125 -> 3.13) and a zero denominator gives None."""
    assert rate(1, 32) == 3.13
    assert rate(2, 3) == 66.67
    assert rate(0, 5) == 0.0
    assert rate(3, 0) is None
    assert money([0.00025]) == 0.0003
    assert money([0.5, None, 1.25]) == 1.75


def test_unit_figures_hand_worked():
    """本月数/累计数 of a 4-enterprise unit over two months, worked out by hand."""
    jan = [FigRow("A", True, new_hazards=2, fixed_on_row=1, closed_on=(dt.date(2024, 2, 10),),
                  has_case=True, fine_wan=0.5, flags=frozenset({"suspended"})),
           FigRow("B", True, new_hazards=1),
           FigRow("X", False, new_hazards=1, report=True)]  # not in the unit's registry
    feb = [FigRow("A", True),  # the 复查 of 2024-02-10 that closed A's second item
           FigRow("C", True, criminal=2, referred=1, licenses=1)]
    cur, cum = unit_figures({1: jan, 2: feb}, 4, 1)
    assert (cur["inspected"], cur["coverage_rate"], cur["hazards_found"], cur["hazards_rectified"]) == (3, 50.0, 4, 1)
    assert (cur["cases_filed"], cur["case_ratio"], cur["violation_handling_rate"]) == (1, 33.33, 50.0)
    assert (cur["suspended"], cur["fines_wan"], cur["reports_verified"]) == (1, 0.5, 1)
    assert cum == cur
    cur, cum = unit_figures({1: jan, 2: feb}, 4, 2)
    assert (cur["inspected"], cur["hazards_found"], cur["hazards_rectified"], cur["cases_filed"]) == (2, 0, 0, 0)
    assert (cur["case_ratio"], cur["violation_handling_rate"], cur["suspended"]) == (0.0, None, 0)
    assert (cur["criminal_referrals"], cur["referred_other"], cur["licenses_suspended"]) == (2, 1, 1)
    assert (cum["inspected"], cum["coverage_rate"], cum["hazards_found"], cum["hazards_rectified"]) == (4, 75.0, 4, 2)
    assert (cum["cases_filed"], cum["case_ratio"], cum["violation_handling_rate"]) == (1, 25.0, 50.0)
    assert (cum["suspended"], cum["fines_wan"], cum["reports_verified"], cum["supervised_total"]) == (1, 0.5, 1, 4)


def test_unit_figures_credit_a_case_on_a_later_recheck():
    """违法行为查处率: B's item, punished on a 复查 row of 02-05, counts in February's 累计数, not in January."""
    jan = [FigRow("A", True, new_hazards=2, has_case=True),
           FigRow("B", True, new_hazards=1, escalated_on=(dt.date(2024, 2, 5),)),
           FigRow("C", True, new_hazards=1)]
    feb = [FigRow("B", True, has_case=True)]  # the 复查 row: restates B's item, not a new hazard
    cur, _ = unit_figures({1: jan, 2: feb}, 4, 1)
    assert cur["violation_handling_rate"] == 50.0  # 2 of 4 (A's two)
    cur, cum = unit_figures({1: jan, 2: feb}, 4, 2)
    assert cur["violation_handling_rate"] is None  # no new hazard in February
    assert cum["violation_handling_rate"] == 75.0  # A's two and B's one, of 4


def test_generate_refuses_months_outside_the_sample():
    """generate(months=[12]) is a usage error naming the parameter."""
    with pytest.raises(ParameterError, match="months"):
        generate("/nonexistent-never-written", months=[12])


# ---------------------------------------------------------------------------- invariants
def test_sample_size_and_registry(year):
    """27 units (19 villages + 8 departments), 400–800 enterprises, 3,000–6,000 ledger rows."""
    assert len(year.units) == 27
    assert sum(u.kind == "村" for u in year.units) == 19
    assert 400 <= len(year.enterprises) <= 800
    assert 3000 <= len(year.rows) <= 6000
    codes = [e.credit_code for e in year.enterprises]
    assert len(set(codes)) == len(codes) and all(len(c) == 18 for c in codes)
    assert len({e.name for e in year.enterprises}) == len(year.enterprises)


def test_fines_inside_legal_range_except_planted(year):
    """Every case fine is inside its article's base range, except the two planted ones (the 按日连续处罚
    total is not bound by it: 第一百一十二条; escalations fined in the base range are the after-deadline
    findings, listed in MANIFEST's fines_out_of_range)."""
    cat = load_catalogue()
    outside = []
    for r in year.rows:
        if r.case and r.fine is not None and r.case.code != "V28" and "daily_penalty" not in r.tags:
            lo, hi = cat.loc[r.case.code, "fine_min_wan"], cat.loc[r.case.code, "fine_max_wan"]
            if r.fine < lo or r.fine > hi or r.fine <= 0:
                outside.append(r)
    assert sorted(r.uid for r in outside) == sorted(r.uid for r in year.rows if "fine_out_of_range" in r.tags)
    assert len(outside) == 2


def test_case_numbers_unique_except_planted(year):
    """Each case number is used once, except the one planted duplicate."""
    seen = defaultdict(list)
    for r in year.rows:
        if r.case:
            seen[r.case.number].append(r)
    dups = {n: rs for n, rs in seen.items() if len(rs) > 1}
    assert len(dups) == 1 and len(next(iter(dups.values()))) == 2


def test_plan_key_industries_and_random_share(year):
    """All key-industry enterprises are planned except the planted key-unplanned one; 双随机 is 5%
    or more except the two planted units."""
    planned_key = {p["name"] for p in year.plan if p["method"] == "重点检查"}
    (unplanned,) = [p.value for p in year.planted if p.id == "key-unplanned"]
    assert planned_key == {e.name for e in year.enterprises if e.is_key} - {unplanned}
    for unit in year.units:
        size = sum(e.unit == unit.name for e in year.enterprises)
        n = sum(p["unit"] == unit.name and p["method"] == "双随机" for p in year.plan)
        assert (n / size < 0.05) == (unit.name in LOW_RANDOM_SHARE), unit.name


def test_plan_carried_out_except_planted(year):
    """Every planned inspection happens in its month, except the key school and the 石农村 sample."""
    done = {(r.enterprise, r.month) for r in year.rows}
    missed = {p["name"] for p in year.plan if (p["name"], p["month"]) not in done}
    assert missed == {year.cast.roles["key_never_inspected"].name, year.cast.roles["plan_not_carried_out"].name}


def test_recheck_items_restate_an_open_earlier_item(year):
    """A 复查 item has the text of an earlier item of the same enterprise that was still open."""
    for r in year.rows:
        for it in r.items:
            if it.origin is not None:
                assert r.is_recheck and it.hazard == it.origin.hazard
                assert r.recheck_of.date < r.date
                assert it.origin.closed_by is None or it.origin.closed_by.date >= r.date


def test_criminal_risk_cases_are_the_scripted_ones(year):
    """Cases on rows with V17/V20/V28: two referred (V17, V28), one only fined (V20: 以罚代刑)."""
    found = sorted((tuple(sorted({it.code for it in r.items} & set(CRIMINAL_CODES))), r.criminal > 0)
                   for r in year.rows if r.case and any(it.code in CRIMINAL_CODES for it in r.items))
    assert found == [(("V17",), True), (("V20",), False), (("V28",), True)]


def test_inspectors_two_or_more_except_planted(year):
    """Every row has two distinct inspectors or more, except the six planted rows."""
    single = [r for r in year.rows if len(set(r.inspectors)) < 2]
    assert len(single) == 6 and all("single_inspector" in r.tags for r in single)


# ---------------------------------------------------------------------------- the committed folder
def test_manifest_matches_the_folder(manifest):
    """MANIFEST.json lists exactly the workbooks on disk, and received.csv one line per file."""
    on_disk = sorted(str(p.relative_to(SAMPLE)).replace("\\", "/") for p in (SAMPLE / "submissions").rglob("*.xlsx"))
    assert sorted(f["file"] for f in manifest["files"]) == on_disk
    received = (SAMPLE / "registry" / "received.csv").read_text(encoding="utf-8").splitlines()
    assert len(received) - 1 == len(on_disk) == manifest["totals"]["files"]
    totals = manifest["totals"]
    assert totals["rows_read"] == sum(f["rows_read"] for f in manifest["files"])
    assert totals["rows_read"] == totals["rows_accepted"] + totals["rows_rejected"]


def _cells(path: Path) -> dict:
    wb = openpyxl.load_workbook(path)
    return {ws.title: [list(r) for r in ws.iter_rows(values_only=True)] for ws in wb}


def test_generation_is_deterministic(tmp_path, manifest):
    """Two runs for February give identical bytes, and the same cells as data/sample."""
    a, b = tmp_path / "a", tmp_path / "b"
    ma = generate(a, seed=2024, months=[2])
    mb = generate(b, seed=2024, months=[2])
    assert ma == mb
    files = sorted(p.relative_to(a) for p in a.rglob("*") if p.is_file())
    assert files == sorted(p.relative_to(b) for p in b.rglob("*") if p.is_file())
    for rel in files:
        assert (a / rel).read_bytes() == (b / rel).read_bytes(), rel
    committed = {f["file"] for f in manifest["files"] if f["month"] == 2}
    assert {f["file"] for f in ma["files"]} == committed
    for rel in committed:
        assert _cells(a / rel) == _cells(SAMPLE / rel), rel
    for name in ("enterprises.csv", "units.csv", "plan.csv"):
        assert (a / "registry" / name).read_bytes() == (SAMPLE / "registry" / name).read_bytes()


# ---------------------------------------------------------------------------- intake round trip
@pytest.fixture(scope="module")
def fresh(tmp_path_factory) -> tuple[Path, dict]:
    """The full sample generated now (seed 2024) and its manifest."""
    out = tmp_path_factory.mktemp("sample") / "sample"
    return out, generate(out, seed=2024)


@pytest.fixture(scope="module")
def dataset(fresh):
    from evalkit.intake import loader as intake

    return intake.load(fresh[0])


def test_committed_folder_reads_every_row(manifest):
    """intake reads every row of the committed data/sample that its manifest lists, file by file."""
    from evalkit.intake import loader as intake

    ds = intake.load(SAMPLE)
    assert dict(zip(ds.files["file"], ds.files["rows_read"], strict=True)) == {
        f["file"]: f["rows_read"] for f in manifest["files"]}
    assert ds.rows_accepted + ds.rejected.shape[0] == ds.rows_read == manifest["totals"]["rows_read"]


def _planted_by_rule(manifest) -> dict[str, set]:
    """rule -> expected problem locations; sheet-scope rules by (file, sheet), others by
    (file, sheet, row). Of a duplicate pair only the repeat is flagged."""
    out: dict[str, set] = defaultdict(set)
    for d in manifest["defects"]:
        rule = d["rule"]
        if rule is None:
            continue
        if d["kind"] == "enterprise_name_typo":
            # The committed MANIFEST.json (generated before issue 12) expects enterprise_unregistered;
            # since issue 12 a 1-character slip counts as the registered enterprise with a warning
            # (the generator now writes this rule; data/sample is not regenerated).
            rule = "enterprise_name_near_miss"
        for loc in d["locations"]:
            if loc.get("role") == "first":
                continue
            if RULES[rule].scope in ("sheet", "file"):
                out[rule].add((loc["file"], loc["sheet"]))
            else:
                out[rule].add((loc["file"], loc["sheet"], loc["row"]))
    return out


def test_roundtrip_row_counts(dataset, fresh):
    """intake reads every row the generator wrote, per file, and rejects none (the 待定 fine
    only blanks its cell)."""
    manifest = fresh[1]
    totals = manifest["totals"]
    assert totals["rows_rejected"] == 0
    assert dataset.rows_read == totals["rows_read"]
    assert dataset.rows_accepted + dataset.rows_rejected == dataset.rows_read
    assert dataset.rows_rejected == totals["rows_rejected"]
    read = dict(zip(dataset.files["file"], dataset.files["rows_read"], strict=True))
    assert read == {f["file"]: f["rows_read"] for f in manifest["files"]}
    assert len(dataset.ledger) == totals["ledger_rows"] - totals["rows_rejected"]
    assert len(dataset.figures) == totals["figures_rows"]
    assert len(dataset.enterprises) == totals["enterprises"]
    assert len(dataset.units) == totals["units"]


def test_roundtrip_planted_problems(dataset, fresh):
    """For every rule intake reports, the problems found are exactly the planted ones; the
    简易程序 fine within 0.3 万元 (莲中村 June) draws none."""
    manifest = fresh[1]
    expected = _planted_by_rule(manifest)
    found: dict[str, set] = defaultdict(set)
    for p in dataset.problems.itertuples():
        if RULES[p.rule].scope in ("sheet", "file"):
            found[p.rule].add((p.file, p.sheet))
        else:
            found[p.rule].add((p.file, p.sheet, int(p.row)))
    assert set(found) == set(expected), "rules found but not planted, or planted but not found"
    for rule in expected:
        assert found[rule] == expected[rule], rule
    (summary,) = [d for d in manifest["defects"] if d["kind"] == "summary_procedure_fine"]
    ((file, row),) = [(loc["file"], loc["row"]) for loc in summary["locations"]]
    assert dataset.problems[(dataset.problems["file"] == file) & (dataset.problems["row"] == row)].empty


def test_roundtrip_items_and_rechecks(dataset, fresh):
    """Items, 复查 links and closures as intake reads them match what the generator wrote."""
    totals = fresh[1]["totals"]
    items = dataset.items
    assert len(items) == totals["hazard_items"]
    assert int(items["counts_as_hazard"].sum()) == totals["new_hazard_items"]
    new = items[items["counts_as_hazard"]]
    assert int(new["rectified"].sum()) == totals["rectified_new_items"]
    assert int(dataset.ledger["is_recheck"].sum()) == totals["recheck_rows"]
    assert int(dataset.ledger["case_no"].notna().sum()) == totals["case_rows"]
    assert round(float(dataset.ledger["fine_wan"].sum()), 4) == totals["fines_wan"]


def test_roundtrip_figures(dataset, year):
    """Every 附件2 value intake reads equals the value the generator wrote."""
    keys = [k for k in dataset.figures.columns if k in year.reported[("石壁村", 1)][0]]
    for r in dataset.figures.itertuples():
        cur, cum = year.reported[(r.unit, r.month)]
        want = cur if r.kind == "本月数" else cum
        for key in keys:
            value = getattr(r, key)
            expected = want[key]
            if expected is None:
                assert value != value, (r.file, r.kind, key)  # NaN: the cell is blank
            else:
                assert value == pytest.approx(expected, abs=1e-9), (r.file, r.kind, key)


def test_law_plants_and_fines_out_of_range_agree_with_the_audit(dataset, fresh):
    """The audit's fine_out_of_range rows for the year are exactly MANIFEST's fines_out_of_range (the
    after-deadline ones too); the planted 按日连续处罚 draws neither fine_out_of_range nor, in its month,
    overdue_not_escalated for its enterprise; the planted refusal of 停产停业整顿 draws closure_due (四)."""
    from evalkit.audit import run_audit

    manifest = fresh[1]
    ref = lambda loc: f"{loc['file']}#{loc['sheet']}#{loc['row']}"  # noqa: E731
    year = run_audit(dataset, "2024").findings
    fines = year[year["rule"] == "fine_out_of_range"]
    assert sorted(e[0] for e in fines["evidence"]) == sorted(ref(x) for x in manifest["findings"]["fines_out_of_range"])
    assert sum(x["escalated"] for x in manifest["findings"]["fines_out_of_range"]) >= 8
    defects = {d["id"]: d for d in manifest["defects"]}
    daily, refused = defects["daily-penalty-1"], defects["suspension-refused-1"]
    assert daily["no_finding"] == ["fine_out_of_range", "overdue_not_escalated"]
    assert refused["finding"] == "closure_due"
    (where,) = daily["locations"]
    assert fines[fines["evidence"].map(lambda ev: ref(where) in ev)].empty
    led = dataset.ledger
    ent = led.loc[(led["file"] == where["file"]) & (led["row"] == where["row"]), "enterprise_name"].item()
    month = run_audit(dataset, f"2024-{daily['month']:02d}").findings
    assert month[(month["rule"] == "overdue_not_escalated") & (month["enterprise"] == ent)].empty
    (where,) = refused["locations"]
    ent = led.loc[(led["file"] == where["file"]) & (led["row"] == where["row"]), "enterprise_name"].item()
    month = run_audit(dataset, f"2024-{refused['month']:02d}").findings
    closure = month[(month["rule"] == "closure_due") & (month["enterprise"] == ent)]
    assert len(closure) == 1 and closure.iloc[0]["details"]["items"] == ["四"] and closure.iloc[0]["severity"] == "高"


def test_audit_expectations_of_rules_3_5_and_9(dataset, fresh):
    """Each entry of MANIFEST findings.audit_expectations (issue 11: a 1-day overdue item, the deadline
    day, a 复查 on a later form, escalation on the same row, 7日内 and assumed deadlines, 待检 and
    unplanned key-industry enterprises, no double finding with plan_not_executed) holds in its audit."""
    from evalkit.audit.run import run_audit

    expectations = fresh[1]["findings"]["audit_expectations"]
    assert {e["expect"] for e in expectations} == {"finding", "none"} and len(expectations) >= 15
    audits: dict[str, object] = {}
    for e in expectations:
        if e["period"] not in audits:
            audits[e["period"]] = run_audit(dataset, e["period"]).findings
        f = audits[e["period"]]
        hit = f[(f["rule"] == e["rule"]) & (f["enterprise"] == e["enterprise"])]
        assert (len(hit) > 0) == (e["expect"] == "finding"), e
    june = audits["2024-06"]
    one_day = [e for e in expectations if e["id"] == "overdue-1day"][0]
    (d,) = june[(june["rule"] == "overdue_not_escalated") & (june["enterprise"] == one_day["enterprise"])]["details"]
    assert (d["days_overdue"], d["deadline"]) == (1, "2024-06-29")


# ---------------------------------------------------------------------------- rules 7, 12 and 查处率
def _defect(manifest, did) -> dict:
    (d,) = [d for d in manifest["defects"] if d["id"] == did]
    return d


def _row_ids(d) -> list[str]:
    return [f"{loc['file']}#{loc['sheet']}#{loc['row']}" for loc in d["locations"]]


def test_roundtrip_rule7_plants(dataset, fresh):
    """石壁村 June: the on-the-spot visit is left out of rule 7, the 未当场整改 and the major hazard
    corrected on the spot are counted without a case, and the 复查 row of 88号 is a penalised inspection."""
    from evalkit.audit import run_audit

    manifest = fresh[1]
    found = run_audit(dataset, "2024-06").findings
    (f,) = found[(found["rule"] == "rectification_instead_of_penalty") & (found["unit"] == "石壁村")].to_dict("records")
    excused = _row_ids(_defect(manifest, "onspot-excused-1"))
    assert excused[0] in f["details"]["excused_on_the_spot"] and excused[0] not in f["evidence"]
    assert _row_ids(_defect(manifest, "onspot-negated-1"))[0] in f["evidence"]
    assert _row_ids(_defect(manifest, "onspot-major-1"))[0] in f["evidence"]
    assert _row_ids(_defect(manifest, "recheck-case-rule7-1"))[1] in f["details"]["recheck_cases"]
    negated = dataset.items[dataset.items["row_id"] == _row_ids(_defect(manifest, "onspot-negated-1"))[0]]
    assert list(negated["status"]) == ["pending"]


def test_roundtrip_recheck_case_credits_the_handling_rate(dataset, fresh):
    """经济发展办 June: its one hazard, punished on the 复查 row (101号), makes 违法行为查处率 100.00, not 0.00."""
    from evalkit.metrics import compute_metrics

    d = _defect(fresh[1], "recheck-case-rate-1")
    assert "本月数 100.00" in d["expected"]
    assert compute_metrics(dataset, "2024-06").frame.at["经济发展办", "violation_handling_rate"] == 100.0


def test_roundtrip_fine_disparity_first_offences_only(dataset, fresh):
    """Only 锦里村's V25 (two first-offence fines of 4–4.5 万) is named, in 2024Q2 and 2024, never in June;
    the escalated, repeat and single-row units of the manifest are not."""
    from evalkit.audit import run_audit

    manifest = fresh[1]
    not_named = {_defect(manifest, i)["unit"] for i in ("fines-escalated-not-compared", "fines-repeat-not-compared",
                                                        "fines-single-row-1", "fines-single-row-2")}
    mine = set(_row_ids(_defect(manifest, "fines-inconsistent-1")))
    for period, units in (("2024-06", []), ("2024Q2", ["锦里村"]), ("2024", ["锦里村"])):
        f = run_audit(dataset, period).findings
        f = f[f["rule"] == "fine_disparity"]
        assert list(f["unit"]) == units, period
        assert not set(f["unit"]) & not_named
        for rec in f.to_dict("records"):
            assert rec["details"]["code"] == "V25" and set(rec["evidence"]) <= mine
