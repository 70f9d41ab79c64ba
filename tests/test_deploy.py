"""deploy/ stays in step with the settings (the syntax checks are scripts/check-deploy.sh, in lint)."""

from __future__ import annotations

import re
import subprocess
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
DEPLOY = ROOT / "deploy"


def _env_template() -> dict[str, str]:
    names = {}
    for line in (DEPLOY / "cmer.env.example").read_text().splitlines():
        match = re.match(r"^#?\s*([A-Z][A-Z0-9_]+)=(.*)$", line)
        if match:
            names[match.group(1)] = match.group(2)
    return names


def test_env_template_lists_every_variable_the_settings_read():
    read = set(re.findall(r"""["'](CMER_[A-Z0-9_]+)["']""", (ROOT / "cmer" / "settings.py").read_text()))
    assert len(read) > 25
    assert sorted(read - set(_env_template())) == []


def test_units_read_the_environment_file_and_proxy_header_matches_the_settings():
    units = sorted((DEPLOY / "systemd").glob("*.service"))
    assert {u.name for u in units} >= {"cmer-web.service", "cmer-worker.service"}
    for unit in units:
        assert "EnvironmentFile=/etc/cmer/cmer.env" in unit.read_text(), unit.name
    # settings.py trusts ("HTTP_X_FORWARDED_PROTO", "https") with CMER_BEHIND_PROXY on: nginx must
    # set exactly that value itself, and the template must turn the switch on.
    settings_text = (ROOT / "cmer" / "settings.py").read_text()
    assert '("HTTP_X_FORWARDED_PROTO", "https") if CMER_BEHIND_PROXY' in settings_text
    site = (DEPLOY / "nginx" / "cmer.conf").read_text()
    assert re.findall(r"proxy_set_header X-Forwarded-Proto (\S+);", site) == ["https"]
    # ...and the client's address is X-Real-IP (cmer/core/middleware.py), which nginx replaces.
    assert re.findall(r"proxy_set_header X-Real-IP (\S+);", site) == ["$remote_addr"]
    assert _env_template()["CMER_BEHIND_PROXY"] == "1"
    # The checkpoint unit may write where the template puts the checkpoint file.
    checkpoint_dir = str(Path(_env_template()["CMER_AUDIT_CHECKPOINT_PATH"]).parent)
    assert f"ReadWritePaths={checkpoint_dir}" in (DEPLOY / "systemd" / "cmer-checkpoint.service").read_text()
    static_root = _env_template()["CMER_STATIC_ROOT"]
    assert f"alias {static_root}/;" in site


def test_make_demo_takes_a_port():
    run = subprocess.run(
        ["make", "-n", "demo", "PORT=8001"], cwd=ROOT, capture_output=True, text=True, check=True
    )
    assert "runserver 127.0.0.1:8001" in run.stdout
    assert "http://127.0.0.1:8001" in run.stdout


def test_collectstatic_leaves_out_only_files_that_no_page_loads():
    """cmer/core/static_files.py: the DSFR's one-component-at-a-time copies are not collected;
    every file a template names (ours and django-dsfr's, the bundles and their favicons) is."""
    import dsfr
    from django.apps import apps
    from django.contrib.staticfiles import finders
    from dsfr.constants import DsfrStaticAssets

    def listed(ignore: list[str]) -> set[str]:
        return {path for finder in finders.get_finders() for path, _storage in finder.list(ignore)}

    collected = listed(apps.get_app_config("staticfiles").ignore_patterns)
    everything = listed([])
    templates = [
        *(ROOT / "cmer").rglob("*.html"),
        *(Path(dsfr.__file__).parent / "templates").rglob("*.html"),
    ]
    named = {
        path
        for template in templates
        for path in re.findall(
            r"""(?:static|sri_stylesheet|sri_script) ['"]([^'"]+)['"]""", template.read_text()
        )
    }
    named |= {v for k, v in vars(DsfrStaticAssets).items() if k.isupper()}
    named |= {"admin/css/base.css", "admin/js/vendor/select2/select2.full.min.js"}  # the admin's
    assert len(named) > 15
    assert sorted(named - collected) == []
    assert any(p.startswith("dsfr/dist/component/") for p in everything)
    assert not any(p.startswith(("dsfr/dist/component/", "dsfr/dist/core/")) for p in collected)
    assert len(collected) < 0.8 * len(everything)
