-- The file system a space's folder is on (st_dev), recorded at its first reconcile: a share that is not mounted
-- leaves an empty folder on another device, which must not be read as every photo deleted (issue 13).
ALTER TABLE space ADD COLUMN root_device INTEGER;
