from django.contrib.staticfiles.apps import StaticFilesConfig as BaseStaticFilesConfig


class StaticFilesConfig(BaseStaticFilesConfig):
    """`collectstatic` leaves out what no page loads, so that a deployment (and the tests of the
    deployed mode) hash and compress about 2,300 files fewer.

    The DSFR package ships each component, layer and utility both bundled and one file at a time;
    pages load the bundles only (`dsfr/dist/dsfr/`, `dsfr/dist/utility/utility.min.css`, see
    `cmer/core/templatetags/static_sri.py`). Leaving out a file that a kept stylesheet names makes
    `collectstatic` fail (the manifest storage resolves every `url()`), so an error here cannot
    reach a browser unseen.
    """

    ignore_patterns = [
        *BaseStaticFilesConfig.ignore_patterns,
        "*.md",
        "dsfr/dist/dsfr.*",  # the bundles again, one folder up
        "dsfr/dist/analytics/*",
        "dsfr/dist/component/*",
        "dsfr/dist/core/*",
        "dsfr/dist/layout/*",
        "dsfr/dist/legacy/*",
        "dsfr/dist/scheme/*",
        "dsfr/dist/utility/colors/*",
        "dsfr/dist/utility/icons/*",
        "dsfr/dist/utility/pictograms/*",
        "django-dsfr/icon-picker/*",
        "django_htmx/ext/*",
    ]
