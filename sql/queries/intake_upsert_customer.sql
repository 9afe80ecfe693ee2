INSERT INTO customers (id, name, phone, account_manager_id)
VALUES (:id, :name, :phone, :account_manager_id)
ON CONFLICT (id) DO UPDATE SET name = excluded.name, phone = excluded.phone,
    account_manager_id = excluded.account_manager_id
