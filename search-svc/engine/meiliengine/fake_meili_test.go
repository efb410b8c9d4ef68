package meiliengine

import (
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"net/http/httptest"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"
)

// fakeMeiliServer answers like Meilisearch's documented HTTP API for the
// calls the adapter makes (indexes, settings, documents, tasks, stats,
// swap-indexes, search), keeping documents in memory. It does not rank or
// filter: search answers with the stored documents in id order, so tests
// check what the adapter sends and how it reads answers, not Meilisearch's
// relevance (the conformance suite does that against a real server).
type fakeMeiliServer struct {
	*httptest.Server
	t   *testing.T
	key string
	// searchKey, when set, is also accepted, for searches only, as
	// Meilisearch treats a key whose actions are ["search"].
	searchKey string
	// bearers holds the key each call of log carried.
	bearers []string

	mu       sync.Mutex
	indexes  map[string]map[string]json.RawMessage // uid → document id → document
	settings map[string]json.RawMessage
	tasks    map[int64]*fakeTask
	nextTask int64
	// log lists "METHOD /path" of every call, in order.
	log []string
	// searches holds the bodies of search calls.
	searches []map[string]any
	// taskState decides each task's status when polled; nil means succeeded.
	taskState func(t *fakeTask) (status, code string)
}

type fakeTask struct {
	UID   int64
	Index string
	Type  string
	polls int
}

func newFakeMeiliServer(t *testing.T, key string) *fakeMeiliServer {
	f := &fakeMeiliServer{t: t, key: key, indexes: map[string]map[string]json.RawMessage{},
		settings: map[string]json.RawMessage{}, tasks: map[int64]*fakeTask{}}
	f.Server = httptest.NewServer(http.HandlerFunc(f.serve))
	t.Cleanup(f.Close)
	return f
}

func (f *fakeMeiliServer) calls(prefix string) []string {
	f.mu.Lock()
	defer f.mu.Unlock()
	var out []string
	for _, l := range f.log {
		if strings.HasPrefix(l, prefix) {
			out = append(out, l)
		}
	}
	return out
}

func (f *fakeMeiliServer) apiError(w http.ResponseWriter, status int, code, msg string) {
	w.Header().Set("Content-Type", "application/json")
	w.WriteHeader(status)
	_ = json.NewEncoder(w).Encode(map[string]string{"message": msg, "code": code, "type": "invalid_request", "link": "https://docs.meilisearch.com/errors#" + code})
}

func (f *fakeMeiliServer) reply(w http.ResponseWriter, status int, v any) {
	w.Header().Set("Content-Type", "application/json")
	w.WriteHeader(status)
	_ = json.NewEncoder(w).Encode(v)
}

// enqueue records a task and answers 202 with its summary; the change it
// stands for has already been made, as tasks here only report.
func (f *fakeMeiliServer) enqueue(w http.ResponseWriter, index, typ string) {
	f.nextTask++
	f.tasks[f.nextTask] = &fakeTask{UID: f.nextTask, Index: index, Type: typ}
	f.reply(w, http.StatusAccepted, map[string]any{
		"taskUid": f.nextTask, "indexUid": index, "status": "enqueued", "type": typ, "enqueuedAt": time.Now().UTC(),
	})
}

func (f *fakeMeiliServer) serve(w http.ResponseWriter, r *http.Request) {
	f.mu.Lock()
	defer f.mu.Unlock()
	f.log = append(f.log, r.Method+" "+r.URL.Path)
	bearer := strings.TrimPrefix(r.Header.Get("Authorization"), "Bearer ")
	f.bearers = append(f.bearers, bearer)
	isSearch := r.Method == http.MethodPost && strings.HasSuffix(r.URL.Path, "/search")
	if f.searchKey != "" && bearer == f.searchKey && !isSearch {
		f.apiError(w, http.StatusForbidden, "invalid_api_key", "The provided API key is invalid.")
		return
	}
	if f.key != "" && bearer != f.key && (bearer != f.searchKey || f.searchKey == "") {
		f.apiError(w, http.StatusUnauthorized, "invalid_api_key", "The provided API key is invalid.")
		return
	}
	body, _ := io.ReadAll(r.Body)
	parts := strings.Split(strings.Trim(r.URL.Path, "/"), "/")
	switch {
	case r.URL.Path == "/health":
		f.reply(w, http.StatusOK, map[string]string{"status": "available"})
	case r.Method == http.MethodPost && r.URL.Path == "/indexes":
		var cfg struct{ UID string }
		_ = json.Unmarshal(body, &cfg)
		if _, ok := f.indexes[cfg.UID]; !ok {
			f.indexes[cfg.UID] = map[string]json.RawMessage{}
		}
		f.enqueue(w, cfg.UID, "indexCreation")
	case r.Method == http.MethodPost && r.URL.Path == "/swap-indexes":
		var swaps []struct{ Indexes []string }
		_ = json.Unmarshal(body, &swaps)
		for _, s := range swaps {
			a, b := s.Indexes[0], s.Indexes[1]
			f.indexes[a], f.indexes[b] = f.indexes[b], f.indexes[a]
			f.settings[a], f.settings[b] = f.settings[b], f.settings[a]
		}
		f.enqueue(w, "", "indexSwap")
	case len(parts) == 2 && parts[0] == "tasks":
		uid, _ := strconv.ParseInt(parts[1], 10, 64)
		task, ok := f.tasks[uid]
		if !ok {
			f.apiError(w, http.StatusNotFound, "task_not_found", "Task not found.")
			return
		}
		task.polls++
		status, code := "succeeded", ""
		if f.taskState != nil {
			status, code = f.taskState(task)
		}
		resp := map[string]any{"uid": task.UID, "indexUid": task.Index, "status": status, "type": task.Type, "enqueuedAt": time.Now().UTC()}
		if code != "" {
			resp["error"] = map[string]string{"message": "fake failure", "code": code, "type": "internal", "link": ""}
		}
		f.reply(w, http.StatusOK, resp)
	case len(parts) >= 2 && parts[0] == "indexes":
		f.serveIndex(w, r, parts[1], parts[2:], body)
	default:
		f.apiError(w, http.StatusNotFound, "not_found", "Unknown route "+r.URL.Path)
	}
}

func (f *fakeMeiliServer) serveIndex(w http.ResponseWriter, r *http.Request, uid string, rest []string, body []byte) {
	docs, exists := f.indexes[uid]
	route := r.Method + " " + strings.Join(rest, "/")
	if !exists && route != "POST documents" {
		f.apiError(w, http.StatusNotFound, "index_not_found", fmt.Sprintf("Index `%s` not found.", uid))
		return
	}
	switch {
	case route == "GET ":
		f.reply(w, http.StatusOK, map[string]any{"uid": uid, "primaryKey": "id"})
	case route == "DELETE ":
		delete(f.indexes, uid)
		f.enqueue(w, uid, "indexDeletion")
	case route == "PATCH settings":
		f.settings[uid] = body
		f.enqueue(w, uid, "settingsUpdate")
	case route == "POST documents":
		if !exists { // Meilisearch creates a missing index on first write
			docs = map[string]json.RawMessage{}
			f.indexes[uid] = docs
		}
		var batch []map[string]json.RawMessage
		if err := json.Unmarshal(body, &batch); err != nil {
			f.apiError(w, http.StatusBadRequest, "malformed_payload", err.Error())
			return
		}
		for _, d := range batch {
			raw, _ := json.Marshal(d)
			docs[strings.Trim(string(d["id"]), `"`)] = raw
		}
		f.enqueue(w, uid, "documentAdditionOrUpdate")
	case route == "POST documents/delete-batch":
		var ids []string
		_ = json.Unmarshal(body, &ids)
		for _, id := range ids {
			delete(docs, id)
		}
		f.enqueue(w, uid, "documentDeletion")
	case r.Method == http.MethodDelete && len(rest) == 2 && rest[0] == "documents":
		delete(docs, rest[1])
		f.enqueue(w, uid, "documentDeletion")
	case r.Method == http.MethodGet && len(rest) == 2 && rest[0] == "documents":
		d, ok := docs[rest[1]]
		if !ok {
			f.apiError(w, http.StatusNotFound, "document_not_found", "Document `"+rest[1]+"` not found.")
			return
		}
		f.reply(w, http.StatusOK, d)
	case route == "GET stats":
		f.reply(w, http.StatusOK, map[string]any{"numberOfDocuments": len(docs), "isIndexing": false, "fieldDistribution": map[string]int{}})
	case route == "POST search":
		var req map[string]any
		_ = json.Unmarshal(body, &req)
		f.searches = append(f.searches, req)
		hits := make([]json.RawMessage, 0, len(docs))
		for id := 1; id <= 100000 && len(hits) < len(docs); id++ {
			if d, ok := docs[strconv.Itoa(id)]; ok {
				hits = append(hits, d)
			}
		}
		f.reply(w, http.StatusOK, map[string]any{
			"hits": hits, "query": req["q"], "processingTimeMs": 1, "limit": req["limit"], "offset": req["offset"],
			"estimatedTotalHits": len(hits), "facetDistribution": map[string]any{"genre": map[string]int{"Drama": 2, "Sci-Fi": 1}},
		})
	default:
		f.apiError(w, http.StatusNotFound, "not_found", "Unknown route "+route)
	}
}
