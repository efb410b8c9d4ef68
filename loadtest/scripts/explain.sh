#!/usr/bin/env bash
# Prints the MariaDB/MySQL plans of the catalog's hot queries, as the store
# (catalog-svc/store) writes them, on a loaded catalog database, with the
# time each took (ANALYZE) and the rows it read.
#
#   loadtest/scripts/explain.sh [database]      (default movies_5m)
#
# Connection: MYSQL (default: mysql -h127.0.0.1 -uroot). Every query is
# read-only. Keep the SQL in step with catalog-svc/store/list.go and store.go:
# every ordering ends with id in the direction of its last key
# (contract.ParseOrdering), so ordering=-popularity is "popularity DESC, id
# DESC", an ascending index read backwards.
set -euo pipefail
db=${1:-movies_5m}
mysql_cmd=${MYSQL:-mysql -h127.0.0.1 -uroot}
q() { $mysql_cmd --batch --skip-column-names "$db" -e "$1"; }

cols="m.id, m.name, m.director, m.popularity, m.imdb_score, m.name_key, m.director_key"
# Genres ordered by id, popularity or imdb_score read each genre's links
# (movie_genres carries the sort keys), one index walk per genre merged by a
# UNION; other orderings probe each movie's links.
genre_links="movie_genres mg JOIN genres g ON g.id = mg.genre_id JOIN movies m ON m.id = mg.movie_id"
branch() { echo "SELECT * FROM (SELECT mg.movie_id, mg.popularity, mg.imdb_score FROM movie_genres mg JOIN genres g ON g.id = mg.genre_id WHERE g.name_key = '$1' ORDER BY mg.popularity DESC, mg.movie_id DESC LIMIT 101) g$2"; }
two_genres="SELECT $cols FROM ($(branch drama 0) UNION $(branch thriller 1)) u JOIN movies m ON m.id = u.movie_id ORDER BY u.popularity DESC, u.movie_id DESC LIMIT 101"
genre_probe() { echo "(SELECT 1 FROM movie_genres mg WHERE mg.movie_id = m.id AND mg.genre_id IN (SELECT g.id FROM genres g WHERE g.name_key IN ('$1')) LIMIT 1) IS NOT NULL"; }

# A hot movie, a busy director, a row 80% deep in popularity order: the
# cursor of a deep page is that row's (popularity, id).
hot_id=$(q "SELECT id FROM movies ORDER BY popularity DESC, id DESC LIMIT 1")
director=$(q "SELECT director_key FROM movies WHERE id = $hot_id")
total=$(q "SELECT COUNT(*) FROM movies")
read -r deep_pop deep_id < <(q "SELECT popularity, id FROM movies ORDER BY popularity DESC, id DESC LIMIT 1 OFFSET $((total * 8 / 10))")
page_ids=$(q "SELECT GROUP_CONCAT(id) FROM (SELECT id FROM movies ORDER BY id LIMIT 100) p")

declare -a names sqls
add() { names+=("$1"); sqls+=("$2"); }
add "detail: the movie" \
  "SELECT name, director, popularity, imdb_score FROM movies WHERE id = $hot_id"
add "detail and every list page: the genres of the movies shown (100 on a page)" \
  "SELECT mg.movie_id, mg.position, g.name FROM movie_genres mg JOIN genres g ON g.id = mg.genre_id WHERE mg.movie_id IN ($page_ids)"
add "default list (ordering=id), first page" \
  "SELECT $cols FROM movies m ORDER BY m.id ASC LIMIT 101"
add "list ordering=-popularity, first page" \
  "SELECT $cols FROM movies m ORDER BY m.popularity DESC, m.id DESC LIMIT 101"
add "X-Total-Count of the default list (the counter row, every page)" \
  "SELECT movies FROM movie_count WHERE id = 1"
add "genre filter (drama, 25% of movies) + ordering=-popularity" \
  "SELECT $cols FROM $genre_links WHERE g.name_key = 'drama' ORDER BY mg.popularity DESC, mg.movie_id DESC LIMIT 101"
add "rare genre filter (news, 0.4% of movies) + ordering=-popularity" \
  "SELECT $cols FROM $genre_links WHERE g.name_key = 'news' ORDER BY mg.popularity DESC, mg.movie_id DESC LIMIT 101"
add "rare genre filter (news) + ordering=-imdb_score" \
  "SELECT $cols FROM $genre_links WHERE g.name_key = 'news' ORDER BY mg.imdb_score DESC, mg.movie_id DESC LIMIT 101"
add "rare genre filter (news) + ordering=id" \
  "SELECT $cols FROM $genre_links WHERE g.name_key = 'news' ORDER BY mg.movie_id ASC LIMIT 101"
add "two genres (drama or thriller) + ordering=-popularity (one walk per genre, merged)" \
  "$two_genres"
add "X-Total-Count of two genres (each movie once, at most 10,000 counted)" \
  "SELECT COUNT(*) FROM (SELECT DISTINCT mg.movie_id FROM movie_genres mg JOIN genres g ON g.id = mg.genre_id WHERE g.name_key IN ('drama','thriller') LIMIT 10001) matches"
add "genre filter (drama) + ordering=name (probed per movie)" \
  "SELECT $cols FROM movies m WHERE $(genre_probe drama) ORDER BY m.name_key ASC, m.id ASC LIMIT 101"
add "rare genre filter (news) + ordering=name (probed per movie: ~250 movies read per match)" \
  "SELECT $cols FROM movies m WHERE $(genre_probe news) ORDER BY m.name_key ASC, m.id ASC LIMIT 101"
add "X-Total-Count of the genre filter (first page only, at most 10,000 counted)" \
  "SELECT COUNT(*) FROM (SELECT 1 FROM movie_genres mg JOIN genres g ON g.id = mg.genre_id WHERE g.name_key = 'drama' LIMIT 10001) matches"
add "X-Total-Count of the rare genre filter (news)" \
  "SELECT COUNT(*) FROM (SELECT 1 FROM movie_genres mg JOIN genres g ON g.id = mg.genre_id WHERE g.name_key = 'news' LIMIT 10001) matches"
add "director filter (ordering=id)" \
  "SELECT $cols FROM movies m WHERE m.director_key = '$director' ORDER BY m.id ASC LIMIT 101"
add "director filter + ordering=-imdb_score" \
  "SELECT $cols FROM movies m WHERE m.director_key = '$director' ORDER BY m.imdb_score DESC, m.id DESC LIMIT 101"
add "deep cursor page, ordering=-popularity, 80% into the catalog" \
  "SELECT $cols FROM movies m WHERE ((m.popularity < $deep_pop) OR (m.popularity = $deep_pop AND m.id < $deep_id)) ORDER BY m.popularity DESC, m.id DESC LIMIT 101"
add "deep cursor page, genre filter + ordering=-popularity" \
  "SELECT $cols FROM $genre_links WHERE g.name_key = 'drama' AND ((mg.popularity < $deep_pop) OR (mg.popularity = $deep_pop AND mg.movie_id < $deep_id)) ORDER BY mg.popularity DESC, mg.movie_id DESC LIMIT 101"
add "deep cursor page, rare genre filter (news) + ordering=-popularity" \
  "SELECT $cols FROM $genre_links WHERE g.name_key = 'news' AND ((mg.popularity < $deep_pop) OR (mg.popularity = $deep_pop AND mg.movie_id < $deep_id)) ORDER BY mg.popularity DESC, mg.movie_id DESC LIMIT 101"
add "?search=harbor fallback (LIKE '%term%' on name_key)" \
  "SELECT $cols FROM movies m WHERE m.name_key LIKE '%harbor%' ESCAPE '!' ORDER BY m.id ASC LIMIT 101"
add "X-Total-Count of ?search=harbor (first page only, at most 10,000 counted)" \
  "SELECT COUNT(*) FROM (SELECT 1 FROM movies m WHERE m.name_key LIKE '%harbor%' ESCAPE '!' LIMIT 10001) matches"
add "X-Total-Count of ?search=zzyzx (no match: reads every row)" \
  "SELECT COUNT(*) FROM (SELECT 1 FROM movies m WHERE m.name_key LIKE '%zzyzx%' ESCAPE '!' LIMIT 10001) matches"
add "change feed page (search-svc)" \
  "SELECT seq, movie_id, op, payload, actor, created_at FROM movie_changes WHERE seq > $((total / 2)) ORDER BY seq LIMIT 1000"

echo "database $db: $total movies; $(q "SELECT VERSION()")"
echo
for i in "${!names[@]}"; do
  echo "### ${names[$i]}"
  echo
  echo '```'
  echo "${sqls[$i]}" | sed -e "s/$cols/<columns>/" | cut -c1-400
  $mysql_cmd --table "$db" -e "EXPLAIN ${sqls[$i]}" | sed -e 's/ *$//'
  ms=$($mysql_cmd --batch --skip-column-names --raw "$db" -e "ANALYZE FORMAT=JSON ${sqls[$i]}" |
    python3 -c 'import json,sys; t = json.load(sys.stdin)["query_block"].get("r_total_time_ms"); print("?" if t is None else "%.2f" % t)')
  echo "ANALYZE: ${ms} ms"
  echo '```'
  echo
done
