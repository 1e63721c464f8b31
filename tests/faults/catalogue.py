#!/usr/bin/env python3
"""The fault catalogue: bad inputs, faults and traps run through the `convlab` CLI, each outcome
classified against the exit-code contract of the README:

  handled    the contract holds: bad input exits 2 with one stderr line naming the file (and line
             or key) or the option; a diverged run exits 1 and still writes its summary.json;
             a run that should work works and says what it must
  unclear    the exit code is right but the message does not name the cause
  wrong exit another exit code (3 for bad input, a crash, a timeout)
  silent     exit 0 where the input should have been refused or flagged
  lost       a run folder missing, mixed from two runs, or not valid JSON

    tests/faults/catalogue.py CONVLAB_BINARY [--mpirun MPIRUN] [--verbose]

Prints one line per case that is not handled and the counts; exits 1 when any case is not
handled. CTest runs it (test `fault_catalogue`). stdlib only.
"""
import argparse
import gzip
import json
import os
import random
import re
import shutil
import subprocess
import sys
import tempfile
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]
BAD_CONFIGS = ROOT / "tests" / "configs" / "bad"
EXAMPLES = ROOT / "experiments" / "examples"


class Outcome:
    def __init__(self, rc, out, err):
        self.rc, self.out, self.err = rc, out, err.strip()


def run(cli, args, cwd, timeout=120, mpirun=None, ranks=0):
    cmd = ([mpirun, "-n", str(ranks)] if ranks else []) + [cli, *args]
    # Open MPI refuses root and more ranks than cores unless told (docs/federated.md).
    env = dict(os.environ, OMPI_ALLOW_RUN_AS_ROOT="1", OMPI_ALLOW_RUN_AS_ROOT_CONFIRM="1", OMPI_MCA_rmaps_base_oversubscribe="1")
    try:
        p = subprocess.run(cmd, cwd=cwd, env=env, capture_output=True, text=True, errors="replace", timeout=timeout)
        return Outcome(p.returncode, p.stdout, p.stderr)
    except subprocess.TimeoutExpired:
        return Outcome(-999, "", f"timed out after {timeout} s")


def refused(o, names):
    """Bad input: exit 2, one line on stderr, and that line matching `names` (a regex)."""
    if o.rc == 0:
        return "silent"
    if o.rc != 2:
        return "wrong exit"
    lines = [l for l in o.err.splitlines() if l.strip()]
    if len(lines) != 1 or not re.search(names, lines[0]):
        return "unclear"
    return "handled"


def only_run(experiment):
    """The one run folder of an experiment folder (named from its --set overrides)."""
    folders = [d for d in experiment.iterdir() if d.is_dir()] if experiment.is_dir() else []
    return folders[0] if len(folders) == 1 else experiment / "no-single-run-folder"


def read_json(path):
    try:
        return json.loads(Path(path).read_text())
    except (OSError, ValueError):
        return None


class Catalogue:
    def __init__(self, cli, mpirun, verbose):
        self.cli, self.mpirun, self.verbose = cli, mpirun, verbose
        self.work = Path(tempfile.mkdtemp(prefix="convlab-catalogue-"))
        self.results = []  # (group, name, verdict, detail)

    def record(self, group, name, verdict, o=None, detail=""):
        if o is not None and not detail:
            detail = f"exit {o.rc}: {o.err[:300]}"
        self.results.append((group, name, verdict, detail))
        if self.verbose or verdict != "handled":
            print(f"{verdict:10} {group}/{name}: {detail}", flush=True)

    def file(self, name, content):
        p = self.work / name
        p.parent.mkdir(parents=True, exist_ok=True)
        if isinstance(content, bytes):
            p.write_bytes(content)
        else:
            p.write_text(content)
        return p

    def config(self, name, data, problem="logistic"):
        return self.file(f"{name}.toml", f'[problem]\ntype = "{problem}"\ndata = "{data}"\n'
                         f'[optimizer]\ntype = "gd"\n[schedule]\nlr = 0.1\n[stop]\nmax_iterations = 20\n'
                         '[output]\nplots = false\n')

    def cli_refuses(self, group, name, args, names, cwd=None, **kw):
        o = run(self.cli, args, cwd or self.work, **kw)
        self.record(group, name, refused(o, names), o)

    # --- the checked-in bad configs (their own `# command:` and `# expect:` lines) -------------
    def bad_configs(self):
        for config in sorted(BAD_CONFIGS.glob("*.toml")):
            head = config.read_text().splitlines()[:2]
            command = head[0].removeprefix("# command:").split()
            expect = head[1].removeprefix("# expect:").strip()
            self.cli_refuses("config", config.stem, [*command, str(config)], expect, cwd=config.parent)

    # --- data files a user might hand us -------------------------------------------------------
    def data_faults(self):
        good = "y,a,b\n0,0.5,2\n1,1,1\n0,0.2,3\n1,2,0\n"
        csv_cases = {
            # name: (content, what the message must name)
            "empty": ("", r"empty\.csv"),
            "header_only": ("y,a,b\n", r"header_only\.csv"),
            "ragged_row": ("y,a,b\n0,1,2\n1,1\n", r"ragged_row\.csv:3"),
            "extra_field": ("y,a,b\n0,1,2\n1,1,1,5\n", r"extra_field\.csv:3"),
            "text_field": ("y,a,b\n0,1,2\n1,abc,1\n", r"text_field\.csv:3"),
            "inf_value": ("y,a,b\n0,1,2\n1,inf,1\n", r"inf_value\.csv:3"),
            "nan_response": ("y,a,b\n0,1,2\nnan,1,1\n", r"nan_response\.csv:3"),
            "duplicate_columns": ("y,a,a\n0,1,2\n1,1,1\n", r"duplicate_columns\.csv:1.*\ba\b"),
            "response_only": ("y\n0\n1\n", r"response_only\.csv"),
            "labels_zero_two": ("y,a\n0,1\n2,1\n", r"labels_zero_two\.csv"),
            "labels_minus_one_one_two": ("y,a\n-1,1\n1,1\n2,3\n", r"labels_minus_one_one_two\.csv"),
            "one_class": ("y,a\n1,1\n1,2\n1,3\n", r"one_class\.csv"),
            "binary_garbage": (bytes(random.Random(7).randrange(256) for _ in range(4096)), r"binary_garbage\.csv"),
            "nul_in_field": (b"y,a\n0,1\n1,\x002\n", r"nul_in_field\.csv:3"),
            "long_line": ("y,a\n0," + "1" * (8 << 20) + "\n", r"long_line\.csv:2"),
            "huge_number": ("y,a\n0,1e999\n1,2\n", r"huge_number\.csv:2"),
        }
        for name, (content, names) in csv_cases.items():
            data = self.file(f"data/{name}.csv", content)
            self.cli_refuses("data", name, ["validate", str(self.config(f"data_{name}", data))], names)
        libsvm_cases = {
            "index_5e7": ("".join(f"{i % 2} 1:0.5 2:1\n" for i in range(99)) + "1 50000000:1\n", r"index_5e7\.libsvm:100"),
            "index_2e9": ("0 1:1\n1 2000000000:1\n", r"index_2e9\.libsvm:2"),
            "index_negative": ("0 1:1\n1 -3:1\n", r"index_negative\.libsvm:2"),
            "index_zero": ("0 0:1\n1 2:1\n", r"index_zero\.libsvm:1"),
            "index_unsorted": ("0 3:1 1:1\n1 2:1\n", r"index_unsorted\.libsvm:1"),
            "index_repeated": ("0 1:1 1:2\n1 2:1\n", r"index_repeated\.libsvm:1"),
            "token_without_value": ("0 1:\n1 2:1\n", r"token_without_value\.libsvm:1"),
            "label_text": ("zero 1:1\n1 2:1\n", r"label_text\.libsvm:1"),
            "value_text": ("0 1:x\n1 2:1\n", r"value_text\.libsvm:1"),
        }
        for name, (content, names) in libsvm_cases.items():
            data = self.file(f"data/{name}.libsvm", content)
            self.cli_refuses("data", name, ["validate", str(self.config(f"data_{name}", data))], names)
        # Multinomial class ids: one stray huge id must not allocate a matrix of that many classes.
        data = self.file("data/class_2e9.libsvm", "0 1:1\n1 2:1\n2000000000 1:1\n")
        self.cli_refuses("data", "class_id_2e9", ["validate", str(self.config("class_2e9", data, "multinomial"))], r"class_2e9\.libsvm.*class 2000000000")
        for device in ("/dev/zero", "/dev/urandom"):
            self.cli_refuses("data", device.removeprefix("/dev/"), ["validate", str(self.config("dev", device + ".csv"))],
                             re.escape(device) + r"\.csv")
            link = self.work / "data" / f"{device.removeprefix('/dev/')}.csv"
            if not link.exists():
                link.symlink_to(device)
            self.cli_refuses("data", device.removeprefix("/dev/") + "_symlink",
                             ["validate", str(self.config("devlink", str(link)))], r"not a regular file")
        folder = self.work / "data" / "folder.csv"
        folder.mkdir(parents=True, exist_ok=True)
        self.cli_refuses("data", "directory_named_csv", ["validate", str(self.config("folder", folder))], r"folder\.csv.*directory")
        self.cli_refuses("data", "unknown_extension", ["validate", str(self.config("ext", self.file("data/x.parquet", good)))],
                         r"x\.parquet")
        # gzip: cut off, damaged, or plain text under a .gz name.
        packed = gzip.compress((good * 200).encode(), mtime=0)
        for name, content, names in [("gzip_cut", packed[: len(packed) // 2], r"gzip_cut\.csv\.gz.*cut off"),
                                     ("gzip_damaged", packed[:20] + bytes(b ^ 0x5A for b in packed[20:60]) + packed[60:],
                                      r"gzip_damaged\.csv\.gz.*(damaged|cut off)"),
                                     ("gzip_not_compressed", good, r"gzip_not_compressed\.csv\.gz.*not gzip")]:
            data = self.file(f"data/{name}.csv.gz", content)
            self.cli_refuses("data", name, ["validate", str(self.config(f"data_{name}", data))], names)
        # Inputs that must simply work.
        for name, content, suffix in [("crlf", good.replace("\n", "\r\n"), ".csv"), ("trailing_blank_lines", good + "\n\n", ".csv"),
                                      ("no_final_newline", good.rstrip("\n"), ".csv"), ("gzip", gzip.compress(good.encode()), ".csv.gz")]:
            data = self.file(f"data/{name}{suffix}", content)
            o = run(self.cli, ["fit", str(self.config(f"ok_{name}", data)), "--out", str(self.work / "out")], self.work)
            s = read_json(self.work / "out" / f"ok_{name}" / "fit" / "summary.json")
            ok = o.rc == 0 and s is not None and len(s.get("x", [])) == 2
            self.record("data", name, "handled" if ok else ("lost" if o.rc == 0 else "wrong exit"), o)

    # --- the command line -----------------------------------------------------------------------
    def command_line(self):
        good = self.config("good", self.file("data/good.csv", "y,a,b\n0,0.5,2\n1,1,1\n0,0.2,3\n1,2,0\n"))
        regular_file = self.file("regular_file", "x")
        garbage = self.file("garbage.toml", bytes(random.Random(3).randrange(256) for _ in range(2048)))
        cases = {
            "no_subcommand": ([], r"subcommand"),
            "unknown_subcommand": (["frobnicate"], r"frobnicate"),
            "fit_without_config": (["fit"], r"config"),
            "config_missing": (["fit", "nowhere.toml"], r"nowhere\.toml"),
            "config_is_a_directory": (["validate", str(self.work / "data")], r"data.*not a regular file"),
            "config_is_dev_zero": (["validate", "/dev/zero"], r"/dev/zero"),
            "config_binary_garbage": (["validate", str(garbage)], r"garbage\.toml"),
            "set_without_equals": (["validate", str(good), "--set", "schedule.lr"], r"--set.*schedule\.lr"),
            "set_unknown_key": (["validate", str(good), "--set", "schedule.lrr=0.1"], r"--set.*lrr"),
            "set_wrong_type": (["validate", str(good), "--set", "schedule.lr=fast"], r"--set.*schedule\.lr"),
            "set_unknown_table": (["validate", str(good), "--set", "foo.bar=1"], r"--set.*foo"),
            "set_negative_lr": (["validate", str(good), "--set", "schedule.lr=-1"], r"--set.*lr"),
            "out_is_a_file": (["fit", str(good), "--out", str(regular_file)], r"regular_file"),
            "out_under_a_file": (["fit", str(good), "--out", str(regular_file) + "/sub"], r"regular_file/sub"),
            "out_on_read_only_fs": (["fit", str(good), "--out", "/proc/convlab-out"], r"/proc/convlab-out"),
            "out_on_sysfs": (["fit", str(good), "--out", "/sys/convlab-out"], r"/sys/convlab-out"),
            "predict_missing_run": (["predict", str(self.work / "no-run"), str(self.work / "data/good.csv")], r"no-run"),
            "reproduce_unknown_only": (["reproduce", "--only", "no-such-experiment", "--out", str(self.work / "rep")],
                                       r"no-such-experiment"),
            "reproduce_missing_configs": (["reproduce", "--configs", str(self.work / "no-configs"), "--out", str(self.work / "rep")],
                                          r"no-configs"),
            "list_missing_configs": (["list", "--configs", str(self.work / "no-configs")], r"no-configs"),
            "docs_missing_page": (["docs", str(self.work / "no-page.md")], r"no-page\.md"),
        }
        for name, (args, names) in cases.items():
            self.cli_refuses("cli", name, args, names)

    # --- runs that fail, stop early or are interrupted ------------------------------------------
    def runs(self):
        out = self.work / "runs"
        diabetes = ROOT / "data" / "diabetes.csv"
        if diabetes.exists():
            # A diverged run exits 1 and writes its summary with the status.
            cfg = self.file("diverge.toml", f'[problem]\ntype = "least_squares"\ndata = "{diabetes}"\n'
                            '[optimizer]\ntype = "gd"\n[schedule]\nlr = 1e3\n[stop]\nmax_iterations = 2000\n[output]\nplots = false\n')
            o = run(self.cli, ["fit", str(cfg), "--out", str(out)], self.work)
            s = read_json(out / "diverge" / "fit" / "summary.json")
            verdict = "handled" if o.rc == 1 and s and s.get("status") == "non_finite" else \
                ("lost" if o.rc == 1 else ("silent" if o.rc == 0 else "wrong exit"))
            self.record("runs", "diverged_fit", verdict, o)
            # The stale-gradient trap: a full-batch run's iterates do not depend on evaluate_every.
            xs = []
            for every in (1, 100):
                o = run(self.cli, ["fit", str(cfg), "--out", str(out / f"every{every}"), "--set", "schedule.lr=1", "--set", "schedule.per_lipschitz=true",
                                   "--set", "stop.max_iterations=300", "--set", f"stop.evaluate_every={every}",
                                   "--set", "stop.tolerance=0"], self.work)
                s = read_json(only_run(out / f"every{every}" / "diverge") / "summary.json")
                xs.append((o.rc, s.get("x") if s else None))
            same = xs[0][0] == 0 and xs[1][0] == 0 and xs[0][1] is not None and xs[0][1] == xs[1][1]
            self.record("runs", "evaluate_every_same_iterates", "handled" if same else "silent",
                        detail=f"exit codes {xs[0][0]}, {xs[1][0]}; same x: {same}")
        example = EXAMPLES / "logistic_breast_cancer.toml"
        # A budget stop far from the optimum says so, with the suboptimality.
        o = run(self.cli, ["fit", str(example), "--out", str(out / "budget"), "--set", "stop.max_iterations=5",
                           "--set", "stop.tolerance=0", "--set", "output.plots=false"], self.work)
        s = read_json(only_run(out / "budget" / "logistic_breast_cancer") / "summary.json") or {}
        ok = o.rc == 0 and s.get("status") == "max_iterations" and "relative suboptimality" in s.get("warning", "")
        self.record("runs", "budget_stop_reported", "handled" if ok else "silent", o)
        # Two writers of one folder (one config name in two places, a config edited while its
        # first version runs): never a mixed or broken folder.
        bc = ROOT / "data" / "breast_cancer.csv"
        base = {}
        for l2 in ("0.1", "0.2"):
            cfg = self.file(f"two/{l2}/run.toml", f'reference = "none"\n[problem]\ndata = "{bc}"\nl2 = {l2}\nintercept = true\n'
                            'standardize = true\n[schedule]\nlr = 1.0\nper_lipschitz = true\n[stop]\nmax_iterations = 200\n'
                            '[output]\nplots = false\n')
            base[l2] = ["fit", str(cfg), "--out", str(out / "two")]
        folder = out / "two" / "run" / "fit"
        alone = {}
        for l2 in ("0.1", "0.2"):
            run(self.cli, base[l2], self.work)
            alone[l2] = (read_json(folder / "summary.json") or {}).get("x")
        bad = 0
        for _ in range(5):
            procs = [subprocess.Popen([self.cli, *base[l2]], cwd=self.work,
                                      stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL) for l2 in ("0.1", "0.2")]
            codes = [p.wait() for p in procs]
            s = read_json(folder / "summary.json")
            toml = (folder / "config.toml").read_text() if (folder / "config.toml").exists() else ""
            l2 = "0.1" if "l2 = 0.1" in toml else "0.2"
            leftovers = [f for f in folder.iterdir() if ".tmp" in f.name]
            if any(c not in (0, 2) for c in codes) or s is None or s.get("x") != alone[l2] or leftovers:
                bad += 1
        self.record("runs", "two_writers_one_folder", "handled" if bad == 0 else "lost",
                    detail=f"{bad} of 5 tries left a mixed, broken or littered folder")
        # Names that would escape --out are refused (config tests 43, 44); a huge `levels` too (49).
        self.federated(out)
        self.ordinal_separation(out)

    def federated(self, out):
        example = EXAMPLES / "fedau_digits.toml"
        args = ["fit", str(example), "--out", str(out / "fed"), "--set", "federated.rounds=40",
                "--set", "federated.checkpoint_every=20", "--set", "federated.clients=20"]
        o = run(self.cli, args, self.work)
        checkpoints = sorted((out / "fed").rglob("*checkpoint*"))
        checkpoints = [c for c in checkpoints if c.is_file()]
        if o.rc != 0 or not checkpoints:
            self.record("federated", "checkpoint_written", "lost", o, f"exit {o.rc}; checkpoints: {checkpoints}")
            return
        ckpt = checkpoints[-1]
        original = ckpt.read_bytes()
        damages = {
            "checkpoint_64_bytes_flipped": original[:len(original) // 2] + bytes(b ^ 0xFF for b in original[len(original) // 2:len(original) // 2 + 64]) + original[len(original) // 2 + 64:],
            "checkpoint_one_bit_flipped": original[:100] + bytes([original[100] ^ 1]) + original[101:],
            "checkpoint_truncated": original[:len(original) // 2],
            "checkpoint_empty": b"",
        }
        for name, damaged in damages.items():
            ckpt.write_bytes(damaged)
            self.cli_refuses("federated", name, args, re.escape(ckpt.name) + r".*(checksum|truncated|damaged|format)")
        ckpt.write_bytes(original)
        # A diverged federated run exits 1 with a summary (the last finite model).
        div = out / "fed-div"
        o = run(self.cli, ["fit", str(example), "--out", str(div), "--set", "federated.rounds=30",
                           "--set", "federated.clients=20", "--set", "federated.local.lr=1e6"], self.work)
        sums = list(div.rglob("summary.json"))
        s = read_json(sums[0]) if sums else None
        verdict = "handled" if o.rc == 1 and s else ("lost" if o.rc == 1 else ("silent" if o.rc == 0 else "wrong exit"))
        self.record("federated", "diverged_federated", verdict, o)
        if self.mpirun:
            mdiv = out / "fed-div-mpi"
            o = run(self.cli, ["fit", str(example), "--out", str(mdiv), "--set", "federated.rounds=30",
                               "--set", "federated.clients=20", "--set", "federated.local.lr=1e6"], self.work,
                    mpirun=self.mpirun, ranks=2)
            sums = list(mdiv.rglob("summary.json"))
            s = read_json(sums[0]) if sums else None
            verdict = "handled" if o.rc == 1 and s and s.get("status") == "non_finite" else \
                ("lost" if o.rc == 1 else ("silent" if o.rc == 0 else "wrong exit"))
            self.record("federated", "diverged_under_mpirun", verdict, o)

    def ordinal_separation(self, out):
        # Perfectly separated ordinal data: the maximum-likelihood fit does not exist; say so.
        rows = "".join(f"{1 + (i >= 10) + (i >= 20)},{i}\n" for i in range(30))
        data = self.file("data/separable.csv", "y,x\n" + rows)
        cfg = self.file("separable.toml", f'[problem]\ntype = "ordinal"\nmodel = "proportional_odds"\ndata = "{data}"\n'
                        '[optimizer]\ntype = "presto"\n[output]\nplots = false\n')
        o = run(self.cli, ["fit", str(cfg), "--out", str(out)], self.work)
        s = read_json(out / "separable" / "fit" / "summary.json") or {}
        flagged = o.rc in (0, 1) and "separation" in s.get("warning", "")
        self.record("runs", "ordinal_separation", "handled" if flagged else ("silent" if o.rc == 0 else "wrong exit"),
                    o, f"exit {o.rc}, status {s.get('status')}")

    def report(self):
        counts = {}
        for _, _, verdict, _ in self.results:
            counts[verdict] = counts.get(verdict, 0) + 1
        order = ["handled", "unclear", "wrong exit", "silent", "lost"]
        print(f"{len(self.results)} cases: " + ", ".join(f"{counts.get(k, 0)} {k}" for k in order))
        return 0 if counts.get("handled", 0) == len(self.results) else 1


def main():
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("convlab")
    ap.add_argument("--mpirun", help="mpirun to run the diverged-under-MPI case with (skipped without)")
    ap.add_argument("--verbose", action="store_true")
    a = ap.parse_args()
    c = Catalogue(str(Path(a.convlab).resolve()), a.mpirun, a.verbose)
    try:
        c.bad_configs()
        c.data_faults()
        c.command_line()
        c.runs()
    finally:
        shutil.rmtree(c.work, ignore_errors=True)
    sys.exit(c.report())


if __name__ == "__main__":
    main()
