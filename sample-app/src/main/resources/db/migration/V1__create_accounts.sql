-- The sample's customers. The app creates them; the worker sends each a welcome e-mail.
CREATE TABLE accounts (
  id         bigserial PRIMARY KEY,
  email      text NOT NULL UNIQUE,
  created_at timestamptz NOT NULL DEFAULT now()
);
