/* Decoding and validation of raw articles. The validator interprets the subset of JSON Schema
 * (2020-12) that schemas/article.schema.json uses: type, required, properties,
 * additionalProperties, minLength, maxLength, format: date-time. Any other validation keyword
 * in the schema is refused at start-up, so the schema file can never promise a check that the
 * worker does not make. */
#include "newsflow/article.h"

#include <jansson.h>
#include <stdio.h>
#include <string.h>

#include "newsflow/alloc.h"

extern const char nf_article_schema_json[];

enum {
    TY_STRING = 1,
    TY_NULL = 2,
    TY_INTEGER = 4,
    TY_NUMBER = 8,
    TY_BOOLEAN = 16,
    TY_OBJECT = 32,
    TY_ARRAY = 64
};

typedef struct rule {
    char *name;
    unsigned types;                   /* 0 = any */
    long long min_length, max_length; /* -1 = unset; in code points */
    int date_time;
    int required;
} rule_t;

struct nf_validator {
    size_t max_message_bytes;
    unsigned root_types;
    int additional_allowed;
    rule_t *rules;
    size_t n_rules;
};

static const char *reason_names[] = {
#define NF_REJECT_NAME(name, text) text,
    NF_REJECT_REASONS(NF_REJECT_NAME)
#undef NF_REJECT_NAME
};

const char *nf_reject_reason_name(nf_reject_reason_t reason)
{
    return reason < NF_REJECT_COUNT ? reason_names[reason] : "unknown";
}

static unsigned type_bit(const char *name)
{
    static const struct {
        const char *name;
        unsigned bit;
    } map[] = {{"string", TY_STRING}, {"null", TY_NULL},       {"integer", TY_INTEGER},
               {"number", TY_NUMBER}, {"boolean", TY_BOOLEAN}, {"object", TY_OBJECT},
               {"array", TY_ARRAY}};
    for (size_t i = 0; i < sizeof(map) / sizeof(map[0]); i++)
        if (strcmp(map[i].name, name) == 0)
            return map[i].bit;
    return 0;
}

static unsigned member_type_bit(nf_json_type_t type)
{
    static const unsigned bits[] = {
        [NF_JSON_NULL] = TY_NULL,
        [NF_JSON_BOOLEAN] = TY_BOOLEAN,
        [NF_JSON_INTEGER] = TY_INTEGER | TY_NUMBER,
        [NF_JSON_REAL] = TY_NUMBER,
        [NF_JSON_STRING] = TY_STRING,
        [NF_JSON_OBJECT] = TY_OBJECT,
        [NF_JSON_ARRAY] = TY_ARRAY,
    };
    return (unsigned)type < sizeof(bits) / sizeof(bits[0]) ? bits[type] : 0;
}

static int parse_types(const json_t *t, unsigned *out, char *errstr, size_t errstr_size)
{
    *out = 0;
    if (json_is_string(t)) {
        *out = type_bit(json_string_value(t));
    } else if (json_is_array(t)) {
        size_t i;
        json_t *e;
        json_array_foreach(t, i, e)
        {
            unsigned bit = json_is_string(e) ? type_bit(json_string_value(e)) : 0;
            if (!bit) {
                *out = 0;
                break;
            }
            *out |= bit;
        }
    }
    if (!*out) {
        snprintf(errstr, errstr_size, "schema: unsupported \"type\" value");
        return -1;
    }
    return 0;
}

/* Keywords that only annotate (never validate) and may appear anywhere. */
static int is_annotation(const char *key)
{
    static const char *names[] = {"$schema",     "$id",      "$comment", "title",
                                  "description", "examples", "default"};
    for (size_t i = 0; i < sizeof(names) / sizeof(names[0]); i++)
        if (strcmp(key, names[i]) == 0)
            return 1;
    return 0;
}

static int compile_rule(rule_t *r, const char *name, const json_t *schema, char *errstr,
                        size_t errstr_size)
{
    r->name = nf_strdup(name);
    r->min_length = r->max_length = -1;
    if (!r->name) {
        snprintf(errstr, errstr_size, "out of memory");
        return -1;
    }
    if (!json_is_object(schema)) {
        snprintf(errstr, errstr_size, "schema: property '%s' is not an object", name);
        return -1;
    }
    const char *key;
    json_t *val;
    json_object_foreach((json_t *)schema, key, val)
    {
        if (is_annotation(key))
            continue;
        if (strcmp(key, "type") == 0) {
            if (parse_types(val, &r->types, errstr, errstr_size))
                return -1;
        } else if (strcmp(key, "minLength") == 0 && json_is_integer(val)) {
            r->min_length = json_integer_value(val);
        } else if (strcmp(key, "maxLength") == 0 && json_is_integer(val)) {
            r->max_length = json_integer_value(val);
        } else if (strcmp(key, "format") == 0 && json_is_string(val) &&
                   strcmp(json_string_value(val), "date-time") == 0) {
            r->date_time = 1;
        } else {
            snprintf(errstr, errstr_size,
                     "schema: keyword '%s' of property '%s' is not enforced by this validator", key,
                     name);
            return -1;
        }
    }
    return 0;
}

static rule_t *find_rule(const nf_validator_t *v, const char *name)
{
    for (size_t i = 0; i < v->n_rules; i++)
        if (strcmp(v->rules[i].name, name) == 0)
            return &v->rules[i];
    return NULL;
}

nf_validator_t *nf_validator_new_from_schema(const char *schema_json, size_t max_message_bytes,
                                             char *errstr, size_t errstr_size)
{
    json_error_t jerr;
    json_t *schema = json_loads(schema_json, 0, &jerr);
    nf_validator_t *v = nf_calloc(1, sizeof(*v));
    if (!schema || !v) {
        if (!schema)
            snprintf(errstr, errstr_size, "schema: invalid JSON at line %d: %s", jerr.line,
                     jerr.text);
        else
            snprintf(errstr, errstr_size, "out of memory");
        goto fail;
    }
    v->max_message_bytes = max_message_bytes;
    v->additional_allowed = 1;
    v->root_types = TY_OBJECT;
    json_t *props = json_object_get(schema, "properties");
    size_t n_props = json_is_object(props) ? json_object_size(props) : 0;
    json_t *required = json_object_get(schema, "required");
    size_t n_required = json_is_array(required) ? json_array_size(required) : 0;
    v->rules = nf_calloc(n_props + n_required + 1, sizeof(rule_t));
    if (!v->rules) {
        snprintf(errstr, errstr_size, "out of memory");
        goto fail;
    }
    const char *key;
    json_t *val;
    json_object_foreach(schema, key, val)
    {
        if (is_annotation(key) || strcmp(key, "properties") == 0 || strcmp(key, "required") == 0)
            continue;
        if (strcmp(key, "type") == 0) {
            if (parse_types(val, &v->root_types, errstr, errstr_size))
                goto fail;
            if (v->root_types != TY_OBJECT) {
                snprintf(errstr, errstr_size, "schema: the root type must be \"object\"");
                goto fail;
            }
        } else if (strcmp(key, "additionalProperties") == 0 && json_is_boolean(val)) {
            v->additional_allowed = json_is_true(val);
        } else {
            snprintf(errstr, errstr_size, "schema: keyword '%s' is not enforced by this validator",
                     key);
            goto fail;
        }
    }
    if (n_props) {
        json_object_foreach(props, key, val)
        {
            if (compile_rule(&v->rules[v->n_rules++], key, val, errstr, errstr_size))
                goto fail;
        }
    }
    for (size_t i = 0; i < n_required; i++) {
        json_t *name = json_array_get(required, i);
        if (!json_is_string(name)) {
            snprintf(errstr, errstr_size, "schema: \"required\" must list strings");
            goto fail;
        }
        rule_t *r = find_rule(v, json_string_value(name));
        if (!r) {
            /* a required field without a "properties" entry: any type */
            json_t *any = json_object();
            r = &v->rules[v->n_rules++];
            int failed = compile_rule(r, json_string_value(name), any, errstr, errstr_size);
            json_decref(any);
            if (failed)
                goto fail;
        }
        r->required = 1;
    }
    json_decref(schema);
    return v;
fail:
    json_decref(schema);
    nf_validator_destroy(v);
    return NULL;
}

nf_validator_t *nf_validator_new(size_t max_message_bytes, char *errstr, size_t errstr_size)
{
    return nf_validator_new_from_schema(nf_article_schema_json, max_message_bytes, errstr,
                                        errstr_size);
}

void nf_validator_destroy(nf_validator_t *v)
{
    if (!v)
        return;
    for (size_t i = 0; i < v->n_rules; i++)
        nf_free(v->rules[i].name);
    nf_free(v->rules);
    nf_free(v);
}

static size_t utf8_code_points(const char *s, size_t len)
{
    size_t n = 0;
    for (size_t i = 0; i < len; i++)
        n += ((unsigned char)s[i] & 0xC0) != 0x80;
    return n;
}

static int digits(const char *s, int n)
{
    int v = 0;
    for (int i = 0; i < n; i++) {
        if (s[i] < '0' || s[i] > '9')
            return -1;
        v = v * 10 + (s[i] - '0');
    }
    return v;
}

int nf_is_rfc3339(const char *s)
{
    /* date-time = full-date "T" partial-time time-offset (RFC 3339 section 5.6) */
    static const int mdays[] = {31, 29, 31, 30, 31, 30, 31, 31, 30, 31, 30, 31};
    if (strlen(s) < 20)
        return 0;
    int year = digits(s, 4), month = digits(s + 5, 2), day = digits(s + 8, 2);
    if (year < 1 || s[4] != '-' || s[7] != '-' || month < 1 || month > 12 || day < 1 ||
        day > mdays[month - 1])
        return 0;
    if (month == 2 && day == 29 && !((year % 4 == 0 && year % 100 != 0) || year % 400 == 0))
        return 0;
    if (s[10] != 'T' && s[10] != 't' && s[10] != ' ')
        return 0;
    int hour = digits(s + 11, 2), minute = digits(s + 14, 2), second = digits(s + 17, 2);
    if (hour < 0 || hour > 23 || s[13] != ':' || minute < 0 || minute > 59 || s[16] != ':' ||
        second < 0 || second > 60)
        return 0;
    const char *p = s + 19;
    if (*p == '.') {
        p++;
        if (*p < '0' || *p > '9')
            return 0;
        while (*p >= '0' && *p <= '9')
            p++;
    }
    if ((*p == 'Z' || *p == 'z') && p[1] == '\0')
        return 1;
    if ((*p == '+' || *p == '-') && strlen(p) == 6 && p[3] == ':') {
        int oh = digits(p + 1, 2), om = digits(p + 4, 2);
        return oh >= 0 && oh <= 23 && om >= 0 && om <= 59;
    }
    return 0;
}

/* days since 1970-01-01 of a civil date (Howard Hinnant's algorithm) */
static int64_t days_from_civil(int64_t y, int64_t m, int64_t d)
{
    y -= m <= 2;
    int64_t era = (y >= 0 ? y : y - 399) / 400;
    int64_t yoe = y - era * 400;
    int64_t doy = (153 * (m + (m > 2 ? -3 : 9)) + 2) / 5 + d - 1;
    int64_t doe = yoe * 365 + yoe / 4 - yoe / 100 + doy;
    return era * 146097 + doe - 719468;
}

int64_t nf_rfc3339_seconds(const char *s)
{
    if (!s || strlen(s) < 19)
        return 0;
    int y = digits(s, 4), mo = digits(s + 5, 2), d = digits(s + 8, 2), h = digits(s + 11, 2),
        mi = digits(s + 14, 2), se = digits(s + 17, 2);
    if (y < 0 || mo < 1 || d < 1 || h < 0 || mi < 0 || se < 0)
        return 0;
    int64_t t = days_from_civil(y, mo, d) * 86400 + h * 3600 + mi * 60 + (se > 59 ? 59 : se);
    const char *z = s + 19;
    if (*z == '.')
        for (z++; *z >= '0' && *z <= '9'; z++)
            ;
    if ((*z == '+' || *z == '-') && strlen(z) >= 6) {
        int oh = digits(z + 1, 2), om = digits(z + 4, 2);
        if (oh >= 0 && om >= 0)
            t -= (*z == '+' ? 1 : -1) * (oh * 3600 + om * 60);
    }
    return t;
}

static nf_err_t reject(nf_reject_t *rej, nf_reject_reason_t reason, const char *fmt, const char *a,
                       const char *b)
{
    rej->reason = reason;
    snprintf(rej->detail, sizeof(rej->detail), fmt, a, b);
    return NF_ERR_REJECTED;
}

static const char *type_list(unsigned types, char *buf, size_t size)
{
    static const char *names[] = {"string",  "null",   "integer", "number",
                                  "boolean", "object", "array"};
    buf[0] = '\0';
    size_t used = 0;
    for (int i = 0; i < 7; i++)
        if (types & (1u << i))
            used += (size_t)snprintf(buf + used, size > used ? size - used : 0, "%s%s",
                                     used ? " or " : "", names[i]);
    return buf;
}

/* A top-level string member, or NULL when absent, null or not a string. */
static const char *string_field(const nf_json_doc_t *doc, const char *name, size_t *len)
{
    const nf_json_member_t *m = nf_json_get(doc, name);
    int ok = m && m->type == NF_JSON_STRING;
    if (len)
        *len = ok ? m->string_len : 0;
    return ok ? m->string : NULL;
}

nf_err_t nf_article_decode(const nf_validator_t *v, const void *data, size_t len, nf_article_t *out,
                           nf_reject_t *rej)
{
    memset(out, 0, sizeof(*out));
    memset(rej, 0, sizeof(*rej));
    char num[64], num2[64];
    if (len > v->max_message_bytes) {
        snprintf(num, sizeof(num), "%zu", len);
        snprintf(num2, sizeof(num2), "%zu", v->max_message_bytes);
        return reject(rej, NF_REJECT_TOO_LARGE, "message of %s bytes exceeds max_message_bytes %s",
                      num, num2);
    }
    size_t at = 0;
    char what[160];
    nf_json_status_t st = nf_json_parse(data, len, &out->doc, what, sizeof(what), &at);
    if (st == NF_JSON_NOMEM)
        return NF_ERR_NOMEM;
    if (st != NF_JSON_OK) {
        snprintf(num, sizeof(num), "%zu", at);
        return reject(rej,
                      st == NF_JSON_INVALID_UTF8 ? NF_REJECT_INVALID_UTF8 : NF_REJECT_INVALID_JSON,
                      "%s (at byte %s)", what, num);
    }
    const nf_json_doc_t *doc = &out->doc;
    if (doc->type != NF_JSON_OBJECT) {
        const char *type = nf_json_type_name(doc->type);
        nf_json_doc_clear(&out->doc);
        return reject(rej, NF_REJECT_NOT_OBJECT, "top-level value is %s %s, not an object",
                      strchr("aeiou", type[0]) ? "an" : "a", type);
    }
    const nf_json_member_t *id = nf_json_get(doc, "id");
    if (id && id->type == NF_JSON_STRING)
        snprintf(rej->id, sizeof(rej->id), "%s", id->string);

    nf_err_t err = NF_ERR_REJECTED;
    for (size_t i = 0; i < v->n_rules; i++) {
        const rule_t *r = &v->rules[i];
        const nf_json_member_t *f = nf_json_get(doc, r->name);
        if (r->required && !f) {
            reject(rej, NF_REJECT_MISSING_FIELD, "required field '%s' is missing%s", r->name, "");
            goto fail;
        }
        if (!f)
            continue;
        if (r->types && !(member_type_bit(f->type) & r->types)) {
            char want[96];
            type_list(r->types, want, sizeof(want));
            rej->reason = NF_REJECT_WRONG_TYPE;
            snprintf(rej->detail, sizeof(rej->detail), "field '%s' must be %s, got %s", r->name,
                     want, nf_json_type_name(f->type));
            goto fail;
        }
        if (f->type != NF_JSON_STRING)
            continue;
        const char *s = f->string;
        size_t bytes = f->string_len;
        if (r->min_length >= 0 || r->max_length >= 0) {
            long long cps = (long long)utf8_code_points(s, bytes);
            if (r->max_length >= 0 && cps > r->max_length) {
                rej->reason = NF_REJECT_TOO_LARGE;
                snprintf(rej->detail, sizeof(rej->detail),
                         "field '%s' has %lld characters, the limit is %lld", r->name, cps,
                         r->max_length);
                goto fail;
            }
            if (r->min_length >= 0 && cps < r->min_length) {
                rej->reason = NF_REJECT_INVALID_VALUE;
                snprintf(rej->detail, sizeof(rej->detail),
                         "field '%s' has %lld characters, at least %lld needed", r->name, cps,
                         r->min_length);
                goto fail;
            }
        }
        if (r->date_time && !nf_is_rfc3339(s)) {
            rej->reason = NF_REJECT_INVALID_VALUE;
            snprintf(rej->detail, sizeof(rej->detail),
                     "field '%s' is not an RFC 3339 date-time: '%.64s'", r->name, s);
            goto fail;
        }
    }
    if (!v->additional_allowed) {
        for (size_t i = 0; i < doc->n_members; i++) {
            if (!find_rule(v, doc->members[i].key)) {
                reject(rej, NF_REJECT_INVALID_VALUE, "unexpected field '%.64s'%s",
                       doc->members[i].key, "");
                goto fail;
            }
        }
    }
    out->id = string_field(doc, "id", NULL);
    out->source = string_field(doc, "source", NULL);
    out->url = string_field(doc, "url", NULL);
    out->title = string_field(doc, "title", &out->title_len);
    out->body = string_field(doc, "body", &out->body_len);
    out->published_at = string_field(doc, "published_at", NULL);
    if (!out->id || !out->body) {
        /* The compiled-in schema requires both; a custom schema might not. */
        reject(rej, NF_REJECT_MISSING_FIELD, "field '%s' must be a string%s",
               out->id ? "body" : "id", "");
        goto fail;
    }
    return NF_OK;
fail:
    nf_article_clear(out);
    return err;
}

nf_err_t nf_article_compact(nf_article_t *a)
{
    const char **keep[] = {&a->id, &a->source, &a->url, &a->title, &a->published_at};
    size_t lens[sizeof(keep) / sizeof(keep[0])], total = 0;
    for (size_t k = 0; k < sizeof(keep) / sizeof(keep[0]); k++) {
        lens[k] = *keep[k] ? strlen(*keep[k]) : 0; /* the decoder refuses "\u0000" */
        total += *keep[k] ? lens[k] + 1 : 0;
    }
    char *text = nf_malloc(total ? total : 1);
    if (!text)
        return NF_ERR_NOMEM;
    char *o = text;
    for (size_t k = 0; k < sizeof(keep) / sizeof(keep[0]); k++) {
        if (!*keep[k])
            continue;
        memcpy(o, *keep[k], lens[k]);
        o[lens[k]] = '\0';
        *keep[k] = o;
        o += lens[k] + 1;
    }
    nf_json_doc_clear(&a->doc);
    a->doc.type = NF_JSON_OBJECT;
    a->doc.text = text;
    a->body = NULL;
    a->body_len = 0;
    return NF_OK;
}

void nf_article_clear(nf_article_t *a)
{
    nf_json_doc_clear(&a->doc);
    memset(a, 0, sizeof(*a));
}
