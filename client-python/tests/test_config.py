"""Settings from arguments and MUSTER_* variables, checked as the orchestrator checks them
(orchestrator/.../http/ArrivalRequest.java, config/SchemaNames.java, docs/api.md)."""

import os
import re
import tempfile
import unittest

from muster_client import ArrivalRejected
from muster_client._config import Settings

VALID = {
    "service": ["app", "a", "A9", "9lives", "web.api-v2_x", "s" * 63],
    "instance": ["app-7f3c", "i", "host.example.com:1234", "a_b.c:d-e", "x" * 128],
    "schema": ["public", "_", "tenant_42", "a" * 63],
    "required_version": ["4", "1.2", "2_1_0", "10.0.1", "4f2a1b9c0d1e", "20240101_0930-add:users+x", "v" * 128],
    "deploy": ["2026-12-01.3", "d", "sha:4f2a1b9", "z" * 128],
    "timeout": ["1", "600", "86400", 1, 2.5, 86400],
    "url": ["http://localhost:8080", "https://muster.example.com/base/", "http://a:1,http://b:2",
            " http://a:1 , , http://b:2 "],
}
INVALID = {
    "service": ["", "-app", ".app", "_app", "app!", "app web", "s" * 64, "ä", "app\n", "١٢٣"],
    "instance": ["-i", ":i", "i/j", "i j", "x" * 129, "é"],
    "schema": ["Public", "1abc", "a-b", "a.b", "a" * 64, "public;drop", "ß", ""],
    "required_version": ["-1", ".2", "a b", "x" * 129, "4/5", "é", "+1"],
    "deploy": ["-d", "d d", "d+1", "z" * 129],
    "timeout": ["0", "86401", "-1", "soon", "1.5", 0, 86401, True],
    "url": ["localhost:8080", "ftp://x", "http://", "http://a?b=1", "http://a#f", ",", "http://a:port"],
}


def resolve(environ=None, **options):
    options.setdefault("service", "app")
    return Settings.resolve({} if environ is None else environ, **options)


class ConfigurationTest(unittest.TestCase):
    def test_defaults(self):
        s = resolve({"HOSTNAME": "web-5d9f"})
        self.assertEqual(("http://localhost:8080",), s.urls)
        self.assertEqual(("public", None, 600.0, None, None), (s.schema, s.required_version, s.timeout, s.token,
                                                                  s.deploy))
        self.assertEqual("web-5d9f-{}".format(os.getpid()), s.instance)

    def test_the_default_instance_is_a_valid_instance_even_from_an_odd_host_name(self):
        s = resolve({"HOSTNAME": "-Ödd host/name" + "x" * 300})
        self.assertIsNotNone(resolve(instance=s.instance))
        self.assertTrue(s.instance.endswith("-{}".format(os.getpid())))

    def test_valid_values_are_accepted(self):
        for setting, values in VALID.items():
            for value in values:
                with self.subTest(setting=setting, value=value):
                    resolve(**{setting: value})

    def test_invalid_values_are_refused_naming_the_setting(self):
        for setting, values in INVALID.items():
            for value in values:
                with self.subTest(setting=setting, value=value):
                    with self.assertRaises(ArrivalRejected) as caught:
                        resolve(**{setting: value})
                    self.assertEqual(2, caught.exception.exit_code)
                    self.assertIsNone(caught.exception.status, "refused before anything was sent")
                    self.assertIn(setting, str(caught.exception).lower().replace("muster_", ""))

    def test_variables_are_read_and_arguments_win(self):
        env = {"MUSTER_URL": "http://a:1, http://b:2/", "MUSTER_SERVICE": "worker", "MUSTER_INSTANCE": "w-1",
               "MUSTER_SCHEMA": "billing", "MUSTER_REQUIRED_VERSION": "4f2a", "MUSTER_TIMEOUT": "30",
               "MUSTER_TOKEN": "t0ken", "MUSTER_DEPLOY": "d-1"}
        s = Settings.resolve(env)
        self.assertEqual((("http://a:1", "http://b:2"), "worker", "w-1", "billing", "4f2a", 30.0, "t0ken", "d-1"),
                         (s.urls, s.service, s.instance, s.schema, s.required_version, s.timeout, s.token, s.deploy))
        s = Settings.resolve(env, service="web", schema="public", timeout=5)
        self.assertEqual(("web", "public", 5.0), (s.service, s.schema, s.timeout))

    def test_a_bad_variable_is_named(self):
        with self.assertRaises(ArrivalRejected) as caught:
            Settings.resolve({"MUSTER_SERVICE": "app", "MUSTER_TIMEOUT": "ten"})
        self.assertIn("MUSTER_TIMEOUT", str(caught.exception))

    def test_blank_variables_are_unset(self):
        s = Settings.resolve({"MUSTER_SERVICE": "app", "MUSTER_SCHEMA": "  ", "MUSTER_TOKEN": ""})
        self.assertEqual(("public", None), (s.schema, s.token))

    def test_service_is_required(self):
        with self.assertRaises(ArrivalRejected) as caught:
            Settings.resolve({})
        self.assertIn("MUSTER_SERVICE is required", str(caught.exception))

    def test_the_token_comes_from_a_file_and_never_appears_in_messages_or_repr(self):
        with tempfile.NamedTemporaryFile("w", delete=False) as secret:
            secret.write("from-a-file\n")
        self.addCleanup(os.unlink, secret.name)
        s = resolve({"MUSTER_TOKEN_FILE": secret.name})
        self.assertEqual("from-a-file", s.token)
        self.assertNotIn("from-a-file", repr(s))
        self.assertNotIn("from-a-file", str(s))
        with self.assertRaises(ArrivalRejected) as caught:
            resolve({"MUSTER_TOKEN_FILE": secret.name, "MUSTER_TOKEN": "other"})
        self.assertIn("not both", str(caught.exception))
        with self.assertRaises(ArrivalRejected) as caught:
            resolve({"MUSTER_TOKEN": "has space"})
        self.assertNotIn("has space", str(caught.exception))
        with self.assertRaises(ArrivalRejected) as caught:
            resolve({"MUSTER_TOKEN_FILE": secret.name + ".missing"})
        self.assertIn("cannot read", str(caught.exception))


FIELDS = os.path.join(os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__)))), "testdata",
                      "arrival-fields.tsv")
FIELDS_MISSING = "testdata/arrival-fields.tsv is not in this tree"
ARGUMENTS = {"service": "service", "instance": "instance", "schema": "schema", "requiredVersion": "required_version",
             "deploy": "deploy"}


def _decode(value):
    """The list's notation: {N:text} is text N times; \\n, \\t and \\\\ are escapes."""
    value = re.sub(r"\{(\d+):([^}]*)\}", lambda m: m.group(2) * int(m.group(1)), value)
    return re.sub(r"\\(.)", lambda m: {"n": "\n", "t": "\t"}.get(m.group(1), m.group(1)), value)


class SharedFieldListTest(unittest.TestCase):
    """The one list of valid and invalid arrival fields that the Java SDK's, muster-wait's and the
    orchestrator's tests read too: the client accepts what its "clients" column says, and refuses the rest
    in the orchestrator's words."""

    def test_every_row_of_the_shared_list(self):
        if not os.path.isfile(FIELDS):
            self.skipTest(FIELDS_MISSING)
        messages, rows = {}, []
        with open(FIELDS, encoding="utf-8") as f:
            for line in f.read().splitlines():
                if not line or line.startswith("#"):
                    continue
                if line.startswith("@"):
                    key, message = line[1:].split("\t", 1)
                    messages[key] = message
                else:
                    rows.append(line.split("\t"))
        checked = 0
        for field, value, clients, *_ in rows:
            if field not in ARGUMENTS or clients == "-":
                continue
            value = _decode(value)
            with self.subTest(field=field, value=value):
                checked += 1
                if clients == "ok":
                    resolve(**{ARGUMENTS[field]: value})
                else:
                    with self.assertRaises(ArrivalRejected) as caught:
                        resolve(**{ARGUMENTS[field]: value})
                    self.assertIn(messages[clients], str(caught.exception))
        self.assertGreater(checked, 50)


if __name__ == "__main__":
    unittest.main()
