package bulk

import (
	"strconv"
	"strings"
	"time"

	"github.com/moviesplatform/platform/sqldb"
)

// literals renders values as SQL literals for one database session. The
// loader writes values inline rather than as placeholders: a multi-row
// INSERT of thousands of rows then costs one parse on the server and no
// per-value conversion in database/sql, which is most of the load's speed.
type literals struct {
	// backslashes: the session treats backslash as an escape character
	// (MySQL unless sql_mode has NO_BACKSLASH_ESCAPES). SQLite never does.
	backslashes bool
	timeLayout  string
}

func newLiterals(driver sqldb.Driver, sqlMode string) literals {
	if driver == sqldb.MySQL {
		return literals{
			backslashes: !strings.Contains(strings.ToUpper(sqlMode), "NO_BACKSLASH_ESCAPES"),
			timeLayout:  "2006-01-02 15:04:05.999999",
		}
	}
	// The layout modernc.org/sqlite writes time.Time values in, so the
	// store reads bulk-loaded change rows exactly as its own.
	return literals{timeLayout: "2006-01-02 15:04:05.999999999-07:00"}
}

func (l literals) appendString(b []byte, s string) []byte {
	b = append(b, '\'')
	for i := 0; i < len(s); i++ {
		c := s[i]
		if l.backslashes {
			switch c {
			case 0:
				b = append(b, '\\', '0')
				continue
			case '\n':
				b = append(b, '\\', 'n')
				continue
			case '\r':
				b = append(b, '\\', 'r')
				continue
			case '\x1a':
				b = append(b, '\\', 'Z')
				continue
			case '\\':
				b = append(b, '\\', '\\')
				continue
			}
		}
		if c == '\'' {
			b = append(b, '\'')
		}
		b = append(b, c)
	}
	return append(b, '\'')
}

func (l literals) appendTime(b []byte, t time.Time) []byte {
	return l.appendString(b, t.UTC().Format(l.timeLayout))
}

func appendInt(b []byte, n int64) []byte { return strconv.AppendInt(b, n, 10) }

func appendFloat(b []byte, f float64) []byte { return strconv.AppendFloat(b, f, 'g', -1, 64) }
