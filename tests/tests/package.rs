//! The DSM package as `build-spk.sh` builds it: the layout DSM expects, INFO and the `conf/` JSON against the
//! documented fields (`../shared/docs/spk.md`), the checksum, the icons' sizes, the wizards, the size, and that
//! the same commit gives the same package.tgz.

use std::path::Path;
use std::process::Command;

use photosd_tests::{build_spk, workspace};
use serde_json::Value;

/// One member of a tar archive (gzipped or not), as bytes.
fn member(archive: &Path, name: &str) -> Vec<u8> {
    let out = Command::new("tar").args(["-xOf"]).arg(archive).arg(name).output().unwrap();
    assert!(out.status.success(), "{name} in {}", archive.display());
    out.stdout
}

fn listing(args: &[&str], archive: &Path) -> Vec<String> {
    let out = Command::new("tar").args(args).arg(archive).output().unwrap();
    String::from_utf8_lossy(&out.stdout).lines().map(|l| l.trim_start_matches("./").to_string()).collect()
}

fn png_size(bytes: &[u8]) -> (u32, u32) {
    assert_eq!(&bytes[1..4], b"PNG");
    let word = |at: usize| u32::from_be_bytes(bytes[at..at + 4].try_into().unwrap());
    (word(16), word(20))
}

#[test]
fn the_spk_has_the_layout_and_fields_dsm_expects() {
    let spk = build_spk(None);
    let entries = listing(&["-tf"], &spk);
    for wanted in [
        "INFO",
        "package.tgz",
        "scripts/preinst",
        "scripts/postinst",
        "scripts/preuninst",
        "scripts/postuninst",
        "scripts/preupgrade",
        "scripts/postupgrade",
        "scripts/start-stop-status",
        "conf/privilege",
        "conf/resource",
        "WIZARD_UIFILES/install_uifile",
        "WIZARD_UIFILES/uninstall_uifile",
        "PACKAGE_ICON.PNG",
        "PACKAGE_ICON_256.PNG",
    ] {
        assert!(entries.iter().any(|e| e == wanted), "{wanted} in {entries:?}");
    }
    let modes = listing(&["-tvf"], &spk);
    for script in modes.iter().filter(|l| l.contains("scripts/") && !l.ends_with("functions") && !l.ends_with('/')) {
        assert!(script.starts_with("-rwx"), "executable: {script}");
    }

    // INFO: key="value" lines, with the required fields and the checksum of package.tgz.
    let info = String::from_utf8(member(&spk, "INFO")).unwrap();
    let field = |key: &str| {
        info.lines()
            .find_map(|l| l.strip_prefix(&format!("{key}=\"")).and_then(|v| v.strip_suffix('"')))
            .unwrap_or_else(|| panic!("INFO has {key}: {info}"))
            .to_string()
    };
    assert_eq!(field("package"), "photosd");
    assert!(regex_like_version(&field("version")), "version is <feature>-<build>: {}", field("version"));
    assert_eq!(field("os_min_ver"), "7.0-40000");
    assert_eq!(field("arch"), std::env::consts::ARCH);
    assert_eq!(field("install_conflict_packages"), "SynologyPhotos");
    assert_eq!(field("thirdparty"), "yes");
    for key in ["displayname", "description", "maintainer", "dsmuidir", "dsmappname"] {
        assert!(!field(key).is_empty(), "{key} is set");
    }
    let tgz = member(&spk, "package.tgz");
    let md5 = Command::new("md5sum")
        .stdin(std::process::Stdio::piped())
        .stdout(std::process::Stdio::piped())
        .spawn()
        .unwrap();
    let digest = {
        use std::io::Write;
        let mut child = md5;
        child.stdin.take().unwrap().write_all(&tgz).unwrap();
        String::from_utf8(child.wait_with_output().unwrap().stdout).unwrap()
    };
    assert_eq!(field("checksum"), digest.split_whitespace().next().unwrap(), "checksum is package.tgz's md5");

    // package.tgz: the binary, the default config, the portal files the resource file names.
    let inner = workspace().join("target/spk/spk/package.tgz");
    let files = listing(&["-tzf"], &inner);
    for wanted in [
        "bin/photosd",
        "libexec/photosd",
        "lib/libc.so.6",
        "share/photosd.toml",
        "share/photosd/models/yunet.safetensors",
        "share/photosd/models/sface.safetensors",
        "share/photosd/models/efficientnet_lite0.safetensors",
        "share/photosd/models/minilm.safetensors",
        "share/photosd/models/minilm-tokenizer.json",
        "share/photosd/models/minilm-config.json",
        "share/photosd/geo/cities.csv",
        "share/photosd/geo/countries.tsv",
        "ui/config",
        "ui/photosd.sc",
        "ui/images/photosd_256.png",
    ] {
        assert!(files.iter().any(|f| f == wanted), "{wanted} in package.tgz: {files:?}");
    }
    // The launcher, and the loader it runs photosd with (tests/tests/package_alone.rs runs them in an empty root).
    assert!(files.iter().any(|f| f.starts_with("lib/ld-linux")), "the loader in lib/: {files:?}");
    let launcher = String::from_utf8(member(&inner, "./bin/photosd")).unwrap();
    assert!(
        launcher.starts_with("#!/bin/sh") && launcher.contains("--library-path") && !launcher.contains("@LOADER@"),
        "{launcher}"
    );
    // The licences of what the package carries: photosd's, FFmpeg's and each bundled library's.
    for licence in [
        "share/licenses/photosd.LICENSE",
        "share/licenses/COPYING.LGPLv2.1",
        "share/licenses/ffmpeg.SOURCE",
        "share/licenses/libopenh264-7.copyright",
        "share/licenses/libc6.copyright",
        "share/licenses/models.NOTICE",
        "share/licenses/places.NOTICE",
        "share/licenses/Apache-2.0",
    ] {
        assert!(files.iter().any(|f| f == licence), "{licence} in package.tgz");
    }
    no_gpl_component(&inner, &files);
    packaged_models_find_a_face(&inner);
    // Only libraries photosd needs: none of those Debian's full FFmpeg drags in.
    // Nor the encoders photosd never uses (package/libheif/cmake).
    for unwanted in ["libX11", "libcairo", "libicu", "libcodec2", "libavcodec", "libx265", "libaom"] {
        assert!(!files.iter().any(|f| f.starts_with(&format!("lib/{unwanted}"))), "{unwanted} in package.tgz");
    }

    // conf/privilege and conf/resource, against the documented fields.
    let privilege: Value = serde_json::from_slice(&member(&spk, "conf/privilege")).unwrap();
    assert_eq!(privilege["defaults"]["run-as"], "package");
    let resource: Value = serde_json::from_slice(&member(&spk, "conf/resource")).unwrap();
    let service = &resource["webservice"]["services"][0];
    assert_eq!(service["type"], "reverse_proxy");
    assert!(service["proxy_target"].as_str().unwrap().starts_with("http://127.0.0.1:"));
    let portals = resource["webservice"]["portals"].as_array().unwrap();
    assert!(portals.iter().any(|p| p["type"] == "alias" && p["alias"] == "photo"));
    assert!(portals.iter().any(|p| p["type"] == "server" && p["http_port"][0].as_u64().is_some()));
    assert!(portals.iter().all(|p| p["service"] == service["service"] && p["app"] == field("dsmappname").as_str()));
    assert_eq!(resource["data-share"]["shares"][0]["name"], "photo");
    let protocol = resource["port-config"]["protocol-file"].as_str().unwrap();
    assert!(files.iter().any(|f| f == protocol), "the firewall file {protocol} is in package.tgz");

    // Icons and wizards.
    assert_eq!(png_size(&member(&spk, "PACKAGE_ICON.PNG")), (64, 64));
    assert_eq!(png_size(&member(&spk, "PACKAGE_ICON_256.PNG")), (256, 256));
    let install: Value = serde_json::from_slice(&member(&spk, "WIZARD_UIFILES/install_uifile")).unwrap();
    let keys = |wizard: &Value| -> Vec<String> {
        wizard[0]["items"]
            .as_array()
            .unwrap()
            .iter()
            .flat_map(|i| i["subitems"].as_array().unwrap().clone())
            .map(|s| s["key"].as_str().unwrap().to_string())
            .collect()
    };
    assert_eq!(keys(&install), ["wizard_enable_shared_space", "wizard_enable_people_subjects"]);
    let uninstall: Value = serde_json::from_slice(&member(&spk, "WIZARD_UIFILES/uninstall_uifile")).unwrap();
    assert!(keys(&uninstall).contains(&"wizard_delete_data".to_string()));

    let size = std::fs::metadata(&spk).unwrap().len();
    let models: u64 = ["yunet", "sface", "efficientnet_lite0", "minilm"]
        .iter()
        .map(|m| std::fs::metadata(workspace().join(format!("target/models/{m}.safetensors"))).unwrap().len())
        .sum();
    println!(
        "package size: {:.1} MB, of which the models take at most {:.1} MB ({})",
        size as f64 / 1048576.0,
        models as f64 / 1048576.0,
        spk.display()
    );
    assert!(size <= (40 << 20) + models, "the package is at most 40 MB besides the models ({size} bytes)");

    // The same commit gives the same package.tgz.
    build_spk(None);
    assert_eq!(std::fs::read(&inner).unwrap(), tgz, "package.tgz is reproducible");
}

/// Each library the package may carry, the Debian copyright file that comes with it, and the licence of the
/// library itself as that file states it. A Debian copyright file covers a whole source package, whose tools are
/// often GPL (audit, libcap-ng, libde265's sample programs) while the library is not: hence this table, each line
/// checked against the file. A library not listed here fails the test until someone reads its licence.
const BUNDLED: [(&str, &str, &str); 20] = [
    ("ld-linux-x86-64.so.2", "libc6", "Lesser General Public License"),
    ("libc.so.6", "libc6", "Lesser General Public License"),
    ("libm.so.6", "libc6", "Lesser General Public License"),
    ("libgcc_s.so.1", "libgcc-s1", "GCC RUNTIME LIBRARY EXCEPTION"),
    ("libstdc++.so.6", "libstdc++6", "GCC RUNTIME LIBRARY EXCEPTION"),
    ("libaudit.so.1", "libaudit1", "License: LGPL-2.1"),
    ("libcap-ng.so.0", "libcap-ng0", "License: LGPL-2.1+"),
    ("libbrotlicommon.so.1", "libbrotli1", "License: MIT"),
    ("libbrotlidec.so.1", "libbrotli1", "License: MIT"),
    ("libbrotlienc.so.1", "libbrotli1", "License: MIT"),
    ("libdav1d.so.6", "libdav1d6", "License: BSD-2-clause"),
    ("libde265.so.0", "libde265-0", "License: LGPL-3+"),
    ("libhwy.so.1", "libhwy1", "License: Apache-2.0"),
    ("libjxl.so.0.7", "libjxl0.7", "License: BSD-3-clause"),
    ("libjxl_threads.so.0.7", "libjxl0.7", "License: BSD-3-clause"),
    ("liblcms2.so.2", "liblcms2-2", "License: MIT"),
    ("libopenh264.so.7", "libopenh264-7", "License: BSD-2-clause"),
    // Dual-licensed: taken under the BSD licence.
    ("libpam.so.0", "libpam0g", "License: BSD-3-clause or GPL"),
    ("libz.so.1", "zlib1g", "License: Zlib"),
    ("libx264.so.164", "libx264-164", "GPL: never allowed"),
];

/// The package holds no GPL component: FFmpeg, asked by the packaged photosd itself, says it was configured LGPL
/// (no --enable-gpl, no x264), and every bundled library is one of `BUNDLED`, with the licence its copyright file
/// states.
fn no_gpl_component(package_tgz: &Path, files: &[String]) {
    let unpacked = tempfile::tempdir().unwrap();
    let untar = Command::new("tar").arg("-xzf").arg(package_tgz).arg("-C").arg(unpacked.path()).status().unwrap();
    assert!(untar.success());
    let out = Command::new(unpacked.path().join("bin/photosd")).args(["licenses", "--json"]).output().unwrap();
    assert!(out.status.success(), "{}", String::from_utf8_lossy(&out.stderr));
    let said: Value = serde_json::from_slice(&out.stdout).unwrap();
    println!("the packaged photosd: {said}");
    assert_eq!(said["photosd"]["license"], "MIT");
    assert_eq!(said["ffmpeg"]["license"], "LGPL version 2.1 or later");
    let configuration = said["ffmpeg"]["configuration"].as_str().unwrap();
    for gpl in ["--enable-gpl", "--enable-nonfree", "libx264", "libx265", "--enable-version3"] {
        assert!(!configuration.contains(gpl), "FFmpeg configured with {gpl}: {configuration}");
    }
    assert!(configuration.contains("--enable-libopenh264"), "{configuration}");
    let licence = std::fs::read_to_string(unpacked.path().join("share/licenses/photosd.LICENSE")).unwrap();
    assert!(licence.starts_with("MIT License"));

    let libraries: Vec<&str> = files.iter().filter_map(|f| f.strip_prefix("lib/")).filter(|f| !f.is_empty()).collect();
    assert!(libraries.len() >= 10, "{libraries:?}");
    for library in libraries {
        let (_, owner, licence) = BUNDLED
            .iter()
            .find(|(name, ..)| *name == library)
            .unwrap_or_else(|| panic!("lib/{library} is not in BUNDLED: read its licence and add it"));
        assert!(!licence.starts_with("GPL"), "lib/{library} is GPL");
        let copyright =
            std::fs::read_to_string(unpacked.path().join(format!("share/licenses/{owner}.copyright"))).unwrap();
        assert!(copyright.contains(licence), "share/licenses/{owner}.copyright does not say {licence:?}");
    }
}

/// The packaged photosd finds the packaged models where it looks by default (no setting), and their NOTICE
/// names each one with its licence and source.
fn packaged_models_find_a_face(package_tgz: &Path) {
    let unpacked = tempfile::tempdir().unwrap();
    // Its face worker runs as the unprivileged worker account, which must reach the launcher.
    std::fs::set_permissions(unpacked.path(), std::os::unix::fs::PermissionsExt::from_mode(0o755)).unwrap();
    let untar = Command::new("tar").arg("-xzf").arg(package_tgz).arg("-C").arg(unpacked.path()).status().unwrap();
    assert!(untar.success());
    let photo = photosd_tests::corpus().join("faces/barack_obama/fr_obama.jpg");
    let out = Command::new(unpacked.path().join("bin/photosd"))
        .arg("faces")
        .arg(&photo)
        .env_remove("PHOTOSD_FACES_MODELS_DIR")
        .env_remove("PHOTOSD_CONFIG")
        .output()
        .unwrap();
    assert!(out.status.success(), "{}", String::from_utf8_lossy(&out.stderr));
    let found = photosd_tests::json_lines(&out.stdout);
    assert_eq!(found[0]["faces"].as_array().map(Vec::len), Some(1), "one face in {}: {found:?}", photo.display());
    let notice = std::fs::read_to_string(unpacked.path().join("share/licenses/models.NOTICE")).unwrap();
    for needed in ["yunet.safetensors", "sface.safetensors", "efficientnet_lite0.safetensors", "minilm.safetensors"] {
        assert!(notice.contains(needed), "models.NOTICE says {needed:?}");
    }
    for needed in ["licence: MIT", "licence: Apache-2.0", "sha256"] {
        assert!(notice.contains(needed), "models.NOTICE says {needed:?}");
    }
    // The packaged subject classifier, found with no setting, sees the dog.
    let dog = photosd_tests::corpus().join("subjects/photoprism/dog_orange.jpg");
    let out = Command::new(unpacked.path().join("bin/photosd"))
        .arg("subjects")
        .arg(&dog)
        .env_remove("PHOTOSD_FACES_MODELS_DIR")
        .env_remove("PHOTOSD_CONFIG")
        .output()
        .unwrap();
    assert!(out.status.success(), "{}", String::from_utf8_lossy(&out.stderr));
    let found = photosd_tests::json_lines(&out.stdout);
    assert!(found[0]["subjects"].as_array().unwrap().iter().any(|s| s["name"] == "dog"), "{found:?}");
    // The packaged place data, found with no setting, places Paris; its credits travel with it.
    let out = Command::new(unpacked.path().join("bin/photosd"))
        .args(["geocode", "48.8566,2.3522"])
        .env_remove("PHOTOSD_PLACES_DATA_DIR")
        .env_remove("PHOTOSD_CONFIG")
        .output()
        .unwrap();
    let said = String::from_utf8_lossy(&out.stdout);
    assert!(out.status.success() && said.contains("Paris") && said.contains("France"), "{said} {out:?}");
    let notice = std::fs::read_to_string(unpacked.path().join("share/licenses/places.NOTICE")).unwrap();
    for needed in ["GeoNames", "CC BY 4.0", "OpenStreetMap", "ODbL", "sha256"] {
        assert!(notice.contains(needed), "places.NOTICE says {needed:?}");
    }
}

fn regex_like_version(version: &str) -> bool {
    let Some((feature, build)) = version.split_once('-') else { return false };
    feature.split('.').all(|n| n.parse::<u32>().is_ok()) && build.parse::<u32>().is_ok()
}
