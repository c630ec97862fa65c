"""Fixtures shared by several test folders."""

import os
import shutil
import tempfile

import pytest

# One persistent JAX compilation cache for the session and the processes it starts (the CLI,
# Dask's workers): many tests compile the same program from a fresh closure, which JAX's
# in-memory cache cannot recognise. Empty at the start of every session, removed at its end.
# No size bound: with one, JAX locks the directory and re-reads every entry on each write
# (a clean-clone `make test` took 17 minutes, 3m21s of it system time, against 12m29s and 52 s
# without). Without the lock a worker may find an entry another is still writing; JAX then
# warns and compiles.
_JAX_CACHE = tempfile.mkdtemp(prefix="rnnpop-tests-jax-")
os.environ.setdefault("JAX_COMPILATION_CACHE_DIR", _JAX_CACHE)
os.environ.setdefault("JAX_PERSISTENT_CACHE_MIN_COMPILE_TIME_SECS", "0")


def pytest_sessionfinish(session, exitstatus):
    shutil.rmtree(_JAX_CACHE, ignore_errors=True)


def _chromium():
    return shutil.which("chromium") or shutil.which("chromium-browser")


@pytest.fixture
def render_in_browser(tmp_path):
    """``render_in_browser(path, title=..., min_images=...)``: open an HTML report in headless
    Chromium and check that every image loads and the console has no SEVERE entries.
    Skips without Chromium unless ``RNNPOP_REQUIRE_BROWSER`` is set (as in CI)."""

    def render(path, *, title: str, min_images: int) -> None:
        if not (_chromium() and shutil.which("chromedriver")):
            if os.environ.get("RNNPOP_REQUIRE_BROWSER"):
                pytest.fail("chromium and chromedriver are required (RNNPOP_REQUIRE_BROWSER is set)")
            pytest.skip("chromium/chromedriver not installed (.ci/run installs them)")
        from selenium import webdriver
        from selenium.webdriver.chrome.service import Service

        options = webdriver.ChromeOptions()
        options.binary_location = _chromium()
        for flag in ("--headless=new", "--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run",
                     "--disable-background-networking", "--disable-component-update", "--disable-sync",
                     f"--user-data-dir={tmp_path / 'profile'}", "--window-size=1300,900"):
            options.add_argument(flag)
        options.set_capability("goog:loggingPrefs", {"browser": "ALL"})
        driver = webdriver.Chrome(options=options, service=Service(shutil.which("chromedriver")))
        try:
            driver.get(path.as_uri())
            images = driver.execute_script(
                "return Array.from(document.images).map(i => [i.complete, i.naturalWidth, i.naturalHeight])")
            assert len(images) >= min_images
            assert all(complete and width > 100 and height > 100 for complete, width, height in images)
            errors = [entry for entry in driver.get_log("browser") if entry["level"] == "SEVERE"]
            assert errors == []
            assert driver.title == title
        finally:
            driver.quit()

    return render
