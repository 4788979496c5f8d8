#!/usr/bin/env python3
"""JSON for machines, documented (issue 20, point 6).

Every command that takes --json (read from `ota --help` and each group's --help, as
test_cli_options.py does) must have a schema in docs/json.md, and this test runs it in a success
case and a failure case and validates what it prints against that schema:

- docs/json.md has one "## `ota COMMAND`" section per command, holding a ```json block that is a
  JSON Schema (the subset validate() below implements) for every line the command prints on stdout
  with --json, and the exit statuses; "$ref": "#/$defs/NAME" names a schema of the "Shared
  definitions" section;
- every document is one compact line (no indentation), stdout holds nothing else;
- a command with --json but no section, or no case here, fails the test: a new command cannot be
  added without its schema.
"""
import json
import os
import re
import sys
import unittest

sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "support"))
from otatest import SOURCE_DIR, class_workdir, main, no_proxy_env, run, testdata  # noqa: E402

DOC = os.path.join(SOURCE_DIR, "docs", "json.md")


# --- the schemas of docs/json.md ---------------------------------------------------------------

def load_doc():
    """{command: schema} and the shared $defs, from docs/json.md."""
    with open(DOC, encoding="utf-8") as f:
        text = f.read()
    sections = re.split(r"(?m)^## ", text)[1:]
    schemas, defs, exits = {}, {}, {}
    for sec in sections:
        title, body = sec.split("\n", 1)
        blocks = re.findall(r"```json\n(.*?)```", body, re.S)
        m = re.match(r"`ota ([a-z -]+)`\s*$", title.strip())
        if title.strip() == "Shared definitions":
            for b in blocks:
                defs.update(json.loads(b))
        elif m:
            if len(blocks) != 1:
                raise AssertionError(f"docs/json.md: section {title!r} needs exactly one ```json block")
            schemas[m.group(1)] = json.loads(blocks[0])
            em = re.search(r"(?m)^Exit status: (.*)$", body)
            exits[m.group(1)] = em.group(1) if em else None
    return schemas, defs, exits


TYPES = {"object": dict, "array": list, "string": str, "boolean": bool, "null": type(None)}


def type_ok(value, t):
    if t == "integer":
        return isinstance(value, int) and not isinstance(value, bool) or (
            isinstance(value, float) and value.is_integer())
    if t == "number":
        return isinstance(value, (int, float)) and not isinstance(value, bool)
    return isinstance(value, TYPES[t])


def validate(value, schema, defs, path="$"):
    """The errors (a list of strings) of @value against @schema: the JSON Schema keywords type,
    enum, const, properties, required, additionalProperties, items, minimum, minItems, maxItems,
    pattern, oneOf, anyOf and $ref (to #/$defs/NAME)."""
    errors = []
    if "$ref" in schema:
        name = schema["$ref"].rsplit("/", 1)[-1]
        if name not in defs:
            return [f"{path}: unknown $ref {schema['$ref']}"]
        return validate(value, defs[name], defs, path)
    if "type" in schema:
        types = schema["type"] if isinstance(schema["type"], list) else [schema["type"]]
        if not any(type_ok(value, t) for t in types):
            return [f"{path}: {json.dumps(value)[:80]} is not of type {types}"]
    if "enum" in schema and value not in schema["enum"]:
        errors.append(f"{path}: {value!r} not one of {schema['enum']}")
    if "const" in schema and value != schema["const"]:
        errors.append(f"{path}: {value!r} is not {schema['const']!r}")
    if "minimum" in schema and isinstance(value, (int, float)) and value < schema["minimum"]:
        errors.append(f"{path}: {value} < {schema['minimum']}")
    if "pattern" in schema and isinstance(value, str) and not re.search(schema["pattern"], value):
        errors.append(f"{path}: {value!r} does not match {schema['pattern']}")
    if isinstance(value, dict):
        props = schema.get("properties", {})
        for key in schema.get("required", []):
            if key not in value:
                errors.append(f"{path}: missing {key!r}")
        for key, item in value.items():
            if key in props:
                errors += validate(item, props[key], defs, f"{path}.{key}")
            elif schema.get("additionalProperties") is False:
                errors.append(f"{path}: undocumented field {key!r}")
            elif isinstance(schema.get("additionalProperties"), dict):
                errors += validate(item, schema["additionalProperties"], defs, f"{path}.{key}")
    if isinstance(value, list):
        if "minItems" in schema and len(value) < schema["minItems"]:
            errors.append(f"{path}: fewer than {schema['minItems']} items")
        if "maxItems" in schema and len(value) > schema["maxItems"]:
            errors.append(f"{path}: more than {schema['maxItems']} items")
        if "items" in schema:
            for i, item in enumerate(value):
                errors += validate(item, schema["items"], defs, f"{path}[{i}]")
    for key in ("oneOf", "anyOf"):
        if key in schema:
            results = [validate(value, s, defs, path) for s in schema[key]]
            ok = sum(1 for r in results if not r)
            if (key == "oneOf" and ok != 1) or (key == "anyOf" and ok == 0):
                best = min(results, key=len)
                errors.append(f"{path}: matches {ok} of the {key} schemas" + (f" ({best[0]})" if best else ""))
    return errors


# --- the commands with --json ------------------------------------------------------------------

def json_commands():
    """Every command (group subcommands included) whose --help lists --json."""
    def listed(text):
        part = text.split("Commands:\n", 1)[1].split("\n\n", 1)[0]
        return [line.split()[0] for line in part.splitlines() if line.startswith("  ") and line.split()]
    found = []
    for cmd in listed(run(["--help"], expect=0).stdout):
        text = run([cmd, "--help"], expect=0).stdout
        if "Commands:\n" in text:
            for sub in listed(text):
                if "--json" in run([cmd, sub, "--help"], expect=0).stdout:
                    found.append(f"{cmd} {sub}")
        elif "--json" in text:
            found.append(cmd)
    return found


class Fixture:
    """The files the cases need, made once with `ota` itself."""

    def __init__(self, d):
        self.d = d
        p = self.p
        run(["flash", "create", p("dev.bin")], expect=0)
        run(["image", "make", "--version", "v1.0", "--project", "ota_example", "--size", "200000",
             "--seed", "1", p("old.bin")], expect=0)
        run(["image", "make", "--version", "v2.0", "--project", "ota_example", "--size", "200000",
             "--seed", "2", p("new.bin")], expect=0)
        run(["partition", "write", p("dev.bin"), "ota_0", p("old.bin")], expect=0)
        run(["boot", p("dev.bin")], expect=0)
        run(["keys", "generate", "--scheme", "ecdsa256", p("ec.pem")], expect=0)
        run(["keys", "digest", p("ec.pem"), p("ec.digest")], expect=0)
        run(["keys", "generate", "--scheme", "rsa3072", p("rsa.pem")], expect=0)
        run(["keys", "extract-public", p("rsa.pem"), p("rsa_pub.pem")], expect=0)
        run(["image", "sign", "--keyfile", p("ec.pem"), p("new.bin"), p("signed.bin")], expect=0)
        run(["image", "encrypt", p("new.bin"), p("rsa_pub.pem"), p("enc.bin")], expect=0)
        run(["delta", "make", p("old.bin"), p("new.bin"), p("patch.bin")], expect=0)
        # a device that ran an update: ota_1 runs (PENDING_VERIFY), ota_0 is the previous app
        run(["flash", "create", p("updated.bin")], expect=0)
        run(["partition", "write", p("updated.bin"), "ota_0", p("old.bin")], expect=0)
        run(["run", p("updated.bin"), "--app-uri", "file://" + p("new.bin"), "--data-uri", "", "--no-confirm"],
            expect=0)
        # a device running an app signed by the key whose digest is burned: secure boot can be enabled
        run(["flash", "create", p("signed_dev.bin")], expect=0)
        run(["partition", "write", p("signed_dev.bin"), "ota_0", p("signed.bin")], expect=0)
        run(["boot", p("signed_dev.bin")], expect=0)
        run(["efuse", "burn-key-digest", p("signed_dev.bin"), p("ec.digest")], expect=0)
        # an ESP32 has no KEY_REVOKEn (docs/security.md): revoke-key needs e.g. an ESP32-S3
        run(["flash", "create", "--chip", "esp32s3", p("s3.bin")], expect=0)
        with open(p("a.wav"), "wb") as f:
            f.write(b"RIFF" + bytes(range(256)) * 8)
        with open(p("not_an_image.bin"), "wb") as f:
            f.write(b"\x00" * 100)

    def p(self, name):
        return os.path.join(self.d, name)

    def fresh(self, name, template="dev.bin"):
        """A copy of a device of the fixture (the booted one by default)."""
        with open(self.p(template), "rb") as f:
            data = f.read()
        with open(self.p(name), "wb") as f:
            f.write(data)
        with open(self.p(template) + ".state", "rb") as f:
            state = f.read()
        with open(self.p(name) + ".state", "wb") as f:
            f.write(state)
        return self.p(name)


def cases(fx):
    """command -> [(args, expected exit status)]: a success and a failure each (the failure's
    output, if any, must match the schema too)."""
    p, missing = fx.p, fx.p("missing.bin")
    file_uri = "file://" + p("new.bin")
    return {
        "flash create": [(["flash", "create", p("created.bin")], 0),
                         (["flash", "create", "--table", missing, p("created2.bin")], 1)],
        "partition list": [(["partition", "list", p("dev.bin")], 0),
                           (["partition", "list", missing], 1)],
        "partition convert": [(["partition", "convert", testdata("partitions", "seed_ota_example.csv"),
                                p("conv.bin")], 0),
                              (["partition", "convert", missing, p("conv2.bin")], 1)],
        "partition read": [(["partition", "read", p("dev.bin"), "ota_0", p("read.bin")], 0),
                           (["partition", "read", p("dev.bin"), "nope", p("read2.bin")], 1)],
        "partition write": [(["partition", "write", fx.fresh("pw.bin"), "ota_1", p("new.bin")], 0),
                            (["partition", "write", p("dev.bin"), "ota_1", missing], 1)],
        "image info": [(["image", "info", p("new.bin")], 0),
                       (["image", "info", p("not_an_image.bin")], 1)],
        "image make": [(["image", "make", "--version", "v3", "--project", "x", "--size", "100000",
                         p("made.bin")], 0),
                       (["image", "make", "--version", "v3", "--project", "x", "--size", "100000",
                         os.path.join(missing, "made.bin")], 1)],
        "image sign": [(["image", "sign", "--keyfile", p("ec.pem"), p("new.bin"), p("signed2.bin")], 0),
                       (["image", "sign", "--keyfile", p("ec.pem"), missing, p("signed3.bin")], 1)],
        "image verify-signature": [(["image", "verify-signature", "--keyfile", p("ec.pem"), p("signed.bin")], 0),
                                   (["image", "verify-signature", "--keyfile", p("ec.pem"), p("new.bin")], 1)],
        "image encrypt": [(["image", "encrypt", p("new.bin"), p("rsa_pub.pem"), p("enc2.bin")], 0),
                          (["image", "encrypt", missing, p("rsa_pub.pem"), p("enc3.bin")], 1)],
        "image decrypt": [(["image", "decrypt", p("enc.bin"), p("rsa.pem"), p("dec.bin")], 0),
                          (["image", "decrypt", p("new.bin"), p("rsa.pem"), p("dec2.bin")], 1)],
        "tone info": [(["tone", "info", testdata("esp-adf", "flash_tone_fmt0.bin")], 0),
                      (["tone", "info", p("not_an_image.bin")], 1)],
        "tone make": [(["tone", "make", p("a.wav"), p("tone.bin")], 0),
                      (["tone", "make", missing + ".wav", p("tone2.bin")], 1)],
        "info": [(["info", p("dev.bin")], 0), (["info", missing], 1)],
        "boot": [(["boot", fx.fresh("boot.bin")], 0), (["boot", p("created.bin")], 1)],
        "set-boot": [(["set-boot", fx.fresh("sb.bin"), "ota_0"], 0),
                     (["set-boot", fx.fresh("sb2.bin"), "ota_1"], 1)],
        "confirm": [(["confirm", fx.fresh("confirm.bin")], 0), (["confirm", p("created.bin")], 1)],
        "rollback": [(["rollback", fx.fresh("rb.bin", "updated.bin")], 0), (["rollback", fx.fresh("rb2.bin")], 1)],
        "fetch": [(["fetch", file_uri, p("fetched.bin")], 0),
                  (["fetch", "file://" + missing, p("fetched2.bin")], 1)],
        "run": [(["run", fx.fresh("run.bin"), "--app-uri", file_uri, "--data-uri", ""], 0),
                (["run", fx.fresh("run2.bin"), "--app-uri", "file://" + missing, "--data-uri", ""], 1),
                (["run", fx.fresh("run3.bin"), "--app-uri", "", "--data-uri",
                  "file://" + testdata("esp-adf", "flash_tone_fmt0.bin")], 0),
                (["run", p("created.bin"), "--app-uri", file_uri, "--data-uri", ""], 1)],
        "keys generate": [(["keys", "generate", "--scheme", "ecdsa256", p("gen.pem")], 0),
                          (["keys", "generate", "--scheme", "ecdsa256", p("gen.pem")], 1)],
        "keys digest": [(["keys", "digest", p("ec.pem"), p("d2.bin")], 0),
                        (["keys", "digest", missing, p("d3.bin")], 1)],
        "keys extract-public": [(["keys", "extract-public", p("ec.pem"), p("pub2.pem")], 0),
                                (["keys", "extract-public", missing, p("pub3.pem")], 1)],
        "efuse burn-key-digest": [(["efuse", "burn-key-digest", fx.fresh("ef.bin"), p("ec.digest")], 0),
                                  (["efuse", "burn-key-digest", fx.fresh("ef2.bin"), missing], 1)],
        "efuse revoke-key": [(["efuse", "revoke-key", fx.fresh("rk.bin", "s3.bin"), "1"], 0),
                             (["efuse", "revoke-key", missing, "1"], 1)],
        "efuse enable-secure-boot": [(["efuse", "enable-secure-boot", fx.fresh("esb.bin", "signed_dev.bin")], 0),
                                     (["efuse", "enable-secure-boot", missing], 1)],
        "config set": [(["config", "set", fx.fresh("cs.bin"), "signed-apps-no-secure-boot", "on"], 0),
                       (["config", "set", missing, "signed-apps-no-secure-boot", "on"], 1)],
        "delta make": [(["delta", "make", p("old.bin"), p("new.bin"), p("patch2.bin")], 0),
                       (["delta", "make", missing, p("new.bin"), p("patch3.bin")], 1)],
        "delta apply": [(["delta", "apply", p("old.bin"), p("patch.bin"), p("applied.bin")], 0),
                        (["delta", "apply", p("new.bin"), p("patch.bin"), p("applied2.bin")], 1)],
        "delta info": [(["delta", "info", p("patch.bin")], 0), (["delta", "info", missing], 1)],
    }


class JsonOutput(unittest.TestCase):
    @classmethod
    def setUpClass(cls):
        class_workdir(cls)
        cls.schemas, cls.defs, cls.exits = load_doc()
        cls.commands = json_commands()
        cls.fx = Fixture(cls.dir)

    def test_validator_rejects_what_it_should(self):
        """The validator itself: each keyword refuses a wrong value."""
        defs = {"e": {"type": "object", "properties": {"a": {"type": "integer"}}, "required": ["a"],
                      "additionalProperties": False}}
        self.assertEqual(validate({"a": 1}, {"$ref": "#/$defs/e"}, defs), [])
        for value, schema in (({"a": "x"}, {"$ref": "#/$defs/e"}), ({}, {"$ref": "#/$defs/e"}),
                              ({"a": 1, "b": 2}, {"$ref": "#/$defs/e"}), (3, {"enum": [1, 2]}),
                              ("ab", {"pattern": "^a$"}), (True, {"type": "integer"}), (-1, {"minimum": 0}),
                              ([1, 2], {"maxItems": 1}), (1, {"oneOf": [{"type": "integer"}, {"minimum": 0}]}),
                              ("x", {"anyOf": [{"type": "null"}, {"type": "integer"}]}), (1, {"const": 2})):
            with self.subTest(value=value, schema=schema):
                self.assertNotEqual(validate(value, schema, defs), [])

    def test_every_json_command_has_a_schema_and_cases(self):
        self.assertGreaterEqual(len(self.commands), 25)
        for cmd in ("run", "info", "boot", "rollback", "flash create", "partition list"):
            self.assertIn(cmd, self.commands)
        all_cases = cases(self.fx)
        for cmd in self.commands:
            with self.subTest(command=cmd):
                self.assertIn(cmd, self.schemas, f"docs/json.md has no section for `ota {cmd}`")
                self.assertTrue(self.exits[cmd], f"docs/json.md: `ota {cmd}` says no exit status")
                self.assertIn(cmd, all_cases, f"no case runs `ota {cmd} --json` here")
        # and no section for a command that does not exist (or lost its --json)
        self.assertEqual(sorted(set(self.schemas) - set(self.commands)), [])

    def check_output(self, cmd, proc, failure):
        lines = proc.stdout.splitlines()
        with open(DOC, encoding="utf-8") as f:
            section = f.read().split(f"## `ota {cmd}`\n", 1)[1].split("\n## ", 1)[0]
        failure_note = re.search(r"(?m)^Failure output: (.*(?:\n[^\n`].*)*)", section)
        self.assertIsNotNone(failure_note, f"`ota {cmd}`: no 'Failure output:' line")
        if not lines:
            self.assertTrue(failure, f"`ota {cmd}` printed nothing on success")
            note = failure_note.group(1)
            self.assertTrue(note.startswith("none") or "nothing when" in note,
                            f"`ota {cmd}` printed nothing on failure, docs/json.md says: {note}")
            return
        for line in lines:
            self.assertFalse(line[:1].isspace(), f"`ota {cmd}`: an indented line {line[:60]!r}")
            try:
                doc = json.loads(line)  # each line is a whole document
            except json.JSONDecodeError as e:
                self.fail(f"`ota {cmd}`: a line is not a JSON document ({e}): {line[:200]!r}")
            errors = validate(doc, self.schemas[cmd], self.defs)
            self.assertEqual(errors, [], f"`ota {cmd}` output against docs/json.md:\n{line[:2000]}")
        if not failure and cmd != "run":
            self.assertEqual(len(lines), 1, f"`ota {cmd}` printed {len(lines)} documents")

    def test_every_command_output_matches_its_schema(self):
        for cmd, cs in cases(self.fx).items():
            for args, status in cs:
                with self.subTest(command=cmd, args=args[len(cmd.split()):]):
                    proc = run(args + ["--json"], env=no_proxy_env())
                    self.assertEqual(proc.returncode, status, proc.stderr[-2000:])
                    self.check_output(cmd, proc, status != 0)

    def test_run_events_in_order(self):
        """`ota run --json`: one event per line, in the documented order."""
        dev = self.fx.fresh("order.bin")
        proc = run(["run", dev, "--app-uri", "file://" + self.fx.p("new.bin"), "--data-uri", "", "--json"],
                   expect=0)
        events = [json.loads(line)["event"] for line in proc.stdout.splitlines()]
        self.assertEqual(events[0], "item_begin")
        self.assertEqual(events[1], "version_check")
        self.assertEqual(set(events[2:-3]), {"progress"})
        self.assertEqual(events[-3:], ["result", "finish", "boot"])

    def test_usage_error_prints_nothing_on_stdout(self):
        for cmd in self.commands:
            with self.subTest(command=cmd):
                proc = run(cmd.split() + ["--json", "--no-such-option"], expect=2)
                self.assertEqual(proc.stdout, "")


if __name__ == "__main__" and len(sys.argv) > 1 and sys.argv[1] == "--dump":
    # developer aid: print every case's output (not a test)
    import tempfile
    d = tempfile.mkdtemp()
    fx = Fixture(d)
    for cmd, cs in cases(fx).items():
        for args, status in cs:
            proc = run(args + ["--json"])
            print(f"### {cmd} -> {proc.returncode} (want {status})")
            print(proc.stdout.rstrip())
    sys.exit(0)
elif __name__ == "__main__":
    main()
