-- How the admin UI shows an environment: a short label ("Production"), a colour, and whether every change
-- there asks for confirmation. They are the UI's business only: snapshots do not carry them. Adding columns
-- with constant defaults rewrites nothing; the checks scan environments once, and there are few.
ALTER TABLE environments
    ADD COLUMN label text NOT NULL DEFAULT '' CHECK (char_length(label) <= 40),
    ADD COLUMN color text NOT NULL DEFAULT '' CHECK (color = '' OR color ~ '^#[0-9a-f]{6}$'),
    ADD COLUMN protected boolean NOT NULL DEFAULT false;
