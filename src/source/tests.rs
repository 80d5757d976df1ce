use super::*;

#[test]
fn member_paths_join_and_split() {
    let p = member_path(Path::new("in/a.zip"), "/dumps/x.dmp");
    assert_eq!(p, Path::new("in/a.zip!/dumps/x.dmp"));
    assert_eq!(p.file_name().unwrap(), "x.dmp");
    assert_eq!(split_member_path(&p), Some((PathBuf::from("in/a.zip"), "dumps/x.dmp".to_owned())));
    assert_eq!(split_member_path(Path::new("plain.dmp")), None);
}
