//! `EXPLAIN QUERY PLAN` checks of the hot queries: item pages, counts, the timeline, facets and search each reach
//! their items through an index, never by reading the whole item table (which at 1M items is seconds).

use rusqlite::params_from_iter;
use rusqlite::types::Value;

use super::browse::count_items_sql;
use super::timeline::{distinct_values_sql, timeline_sql};
use super::{Db, ItemSort, Reach, SpaceKind};
use crate::domain::{Facet, ItemQuery};

/// The plan's lines, as SQLite words them ("SEARCH i USING INDEX item_visible_taken (space_id=?)").
fn plan(db: &Db, (sql, values): (String, Vec<Value>)) -> Vec<String> {
    let conn = db.lock();
    let mut stmt = conn.prepare(&format!("EXPLAIN QUERY PLAN {sql}")).unwrap();
    stmt.query_map(params_from_iter(values), |r| r.get::<_, String>(3)).unwrap().map(Result::unwrap).collect()
}

/// Every step that reads the item table (`i`) searches it through an index.
fn assert_indexed(what: &str, lines: &[String]) {
    println!("{what}: {lines:?}");
    let on_items: Vec<&String> = lines.iter().filter(|l| l.split_whitespace().nth(1) == Some("i")).collect();
    assert!(!on_items.is_empty(), "{what}: the plan reads no items: {lines:#?}");
    for line in on_items {
        assert!(line.starts_with("SEARCH i USING"), "{what}: `{line}` reads items without an index: {lines:#?}");
    }
}

#[test]
fn hot_queries_use_an_index() {
    let dir = tempfile::tempdir().unwrap();
    let db = Db::open(&dir.path().join("l.db")).unwrap();
    let space = db.ensure_space(SpaceKind::Shared, None, "/photo", true).unwrap().id;
    let folder = db.ensure_folder(space, "2024/Iceland").unwrap();
    let (whole, some) = (Reach::whole(space), Reach::folders(space, &[folder, folder + 1]));
    let everything = ItemQuery::default();
    let in_folder = ItemQuery { folder_id: Some(folder), ..ItemQuery::default() };
    let rated = ItemQuery { ratings: vec![4, 5], start_time: Some(0), end_time: Some(1 << 40), ..ItemQuery::default() };
    let words = ItemQuery { keyword: Some("beach 2024".into()), ..ItemQuery::default() };
    let page = |reach: &Reach, query: &ItemQuery, sort: ItemSort| {
        db.list_items_sql(reach, query, sort, true, 100, 100).unwrap()
    };
    assert_indexed("a page of the timeline", &plan(&db, page(&whole, &everything, ItemSort::TakenTime)));
    assert_indexed("a page added last", &plan(&db, page(&whole, &everything, ItemSort::AddedTime)));
    assert_indexed("a page of a folder", &plan(&db, page(&whole, &in_folder, ItemSort::TakenTime)));
    assert_indexed("a page of what folder rules show", &plan(&db, page(&some, &everything, ItemSort::TakenTime)));
    assert_indexed("a filtered page", &plan(&db, page(&whole, &rated, ItemSort::TakenTime)));
    assert_indexed("a search", &plan(&db, page(&whole, &words, ItemSort::TakenTime)));
    assert_indexed("the count", &plan(&db, count_items_sql(&whole, &everything)));
    assert_indexed("a filtered count", &plan(&db, count_items_sql(&some, &rated)));
    assert_indexed("the count of a search", &plan(&db, count_items_sql(&whole, &words)));
    assert_indexed("the timeline of what folder rules show", &plan(&db, timeline_sql(&some)));
    for facet in [Facet::Camera, Facet::Lens, Facet::Iso] {
        assert_indexed(&format!("the {facet:?} facet"), &plan(&db, distinct_values_sql(&whole, facet)));
    }
    // The whole space's timeline reads the day counts the triggers keep, by their key.
    let days = plan(&db, timeline_sql(&whole));
    assert!(days.iter().all(|l| l.starts_with("SEARCH timeline_day USING")), "{days:#?}");
}
