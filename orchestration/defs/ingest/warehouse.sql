-- The ingest layer of the warehouse: what a loaded export file leaves behind.
-- Created idempotently before every load. dbt reads these tables as sources
-- (dbt_project/models/staging/_sources.yml); nothing but the ingest writes them.

create schema if not exists raw;
create schema if not exists ops;

create sequence if not exists ops.load_id_seq start 1;

-- One row per file ever seen, whatever became of it.
create table if not exists ops.ingest_manifest (
    load_id           bigint primary key,  -- order in which files were processed
    file_sha256       varchar not null,    -- the same bytes under another name: a DUPLICATE row
    file_name         varchar not null,
    entity            varchar,             -- null when the name matches no entity
    file_format       varchar,             -- CSV or PARQUET
    status            varchar not null,    -- LOADED, DUPLICATE, REJECTED_PHI, REJECTED_SCHEMA, REJECTED_UNKNOWN_ENTITY
    rows_read         bigint not null,
    rows_loaded       bigint not null,     -- accepted rows, new versions plus identical re-sends
    rows_quarantined  bigint not null,
    rows_unchanged    bigint not null,     -- of rows_loaded: identical re-sends of a version already held
    rows_orphaned     bigint not null,     -- of rows_loaded: patient_key not known when loaded
    reason            varchar,             -- why a file was rejected (never a value from it)
    warnings          varchar,             -- e.g. ignored extra columns, by name
    duplicate_of      varchar,             -- DUPLICATE: the sha256 already seen (same bytes, maybe another name)
    run_id            varchar,             -- the Dagster run that processed it
    loaded_at         timestamp not null,
    unique (file_sha256, file_name)
);

-- One row per quarantined source row. For assessments the whole administration
-- of a bad row is quarantined: its other rows carry ADMINISTRATION_REJECTED.
create table if not exists ops.quarantine (
    file_sha256    varchar not null,
    entity         varchar not null,
    row_number     bigint not null,        -- 1-based data row in the file (the header is row 0)
    record_key     varchar,                -- the record's key as written, when it could be read
    reason         varchar not null,       -- a reason code, see docs/ingest.md
    reason_column  varchar,                -- the column the reason is about, when there is one
    row_json       json not null,          -- the row as read, all values as text
    quarantined_at timestamp not null,
    primary key (file_sha256, row_number)
);

-- Accepted rows, typed and normalised (codes upper-case, booleans parsed).
-- Only the first row seen for each (key, record_version) is kept; every row
-- carries the file it came from and its row number there. (key, record_version)
-- is unique by construction of the load; it is not declared as a primary key
-- because DuckDB's index on tens of millions of rows costs more than the
-- anti-join the load does anyway to find new versions.
create table if not exists raw.patients (
    patient_key              varchar not null,
    site_id                  varchar not null,
    record_version           integer not null,
    entered_in_error         boolean not null,
    birth_year               integer,
    sex                      varchar not null,
    primary_indication       varchar not null,
    prior_treatment_failures integer,
    enrolled_on              date not null,
    _file_sha256             varchar not null,
    _row_number              bigint not null,
    _load_id                 bigint not null,
    _loaded_at               timestamp not null
);

create table if not exists raw.sessions (
    session_id        varchar not null,
    patient_key       varchar not null,
    site_id           varchar not null,
    record_version    integer not null,
    entered_in_error  boolean not null,
    started_at        timestamp not null,
    route             varchar not null,
    drug              varchar not null,
    dose_mg           double not null,
    weight_kg         double,
    duration_min      integer,
    monitored_min     integer,
    status            varchar not null,
    sbp_pre           integer,
    sbp_peak          integer,
    sbp_post          integer,
    dbp_pre           integer,
    dbp_peak          integer,
    dbp_post          integer,
    hr_pre            integer,
    hr_peak           integer,
    spo2_min          integer,
    cadss             integer,
    moaas_min         integer,
    side_effects      varchar,             -- normalised: upper-case, de-duplicated, sorted, ';'-joined; null when none
    _file_sha256      varchar not null,
    _row_number       bigint not null,
    _load_id          bigint not null,
    _loaded_at        timestamp not null
);

-- One row per item (or 'total') of one administration.
create table if not exists raw.assessments (
    assessment_id     varchar not null,
    item              varchar not null,    -- '1'..'n' without leading zeros, or 'total'
    patient_key       varchar not null,
    site_id           varchar not null,
    record_version    integer not null,
    entered_in_error  boolean not null,
    instrument        varchar not null,
    administered_at   timestamp not null,
    value             integer not null,
    _file_sha256      varchar not null,
    _row_number       bigint not null,
    _load_id          bigint not null,
    _loaded_at        timestamp not null
);

create table if not exists raw.adverse_events (
    event_id          varchar not null,
    patient_key       varchar not null,
    site_id           varchar not null,
    record_version    integer not null,
    entered_in_error  boolean not null,
    session_id        varchar,
    onset_at          timestamp not null,
    category          varchar not null,
    severity          varchar not null,
    serious           boolean not null,
    _file_sha256      varchar not null,
    _row_number       bigint not null,
    _load_id          bigint not null,
    _loaded_at        timestamp not null
);

-- Great Expectations results, one row per suite run on one batch (a new
-- file's accepted rows, or a mart), kept for the data-quality page.
create table if not exists ops.gx_results (
    run_id        varchar not null,
    suite_name    varchar not null,
    batch         varchar not null,        -- the files' sha256s (comma-separated), or a mart's name
    success       boolean not null,
    evaluated     integer not null,
    failed        integer not null,
    failures      json,                    -- expectation and column names, never values
    validated_at  timestamp not null
);

-- dbt test results of each run (from run_results.json), for the data-quality page.
create table if not exists ops.dbt_test_results (
    run_id        varchar not null,
    unique_id     varchar not null,
    test_name     varchar not null,
    status        varchar not null,        -- pass, fail, warn, error, skipped
    failures      bigint,
    message       varchar,                 -- dbt's summary ("Got 3 results, ..."), no values
    executed_at   timestamp not null
);

-- Each dbt build that built and tested the definition nodes (the seeds and what reads only
-- them) from the dbt project files of project_fingerprint: later builds from the same files
-- leave those nodes out (orchestration/defs/transform/definition_nodes.py).
create table if not exists ops.dbt_definitions_builds (
    run_id               varchar not null,
    project_fingerprint  varchar not null,  -- sha256 of the project's files and dbt's version
    built_at             timestamp not null
);

-- What each inbox file's bytes hashed to, by the file's identity on disk (size, times,
-- inode): a run reads again only files that are new or changed, not the whole inbox.
-- A cache: ctime moves with any write, so a changed file never matches; lost, it costs
-- one re-hash of the inbox.
create table if not exists ops.inbox_fingerprints (
    file_name    varchar not null,
    size         bigint not null,
    mtime_ns     bigint not null,
    ctime_ns     bigint not null,
    inode        ubigint not null,
    file_sha256  varchar not null
);
